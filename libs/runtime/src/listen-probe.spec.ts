import { createServer, type AddressInfo, type Server } from 'node:net';
import { ConfigError } from '@convergio/config';
import { assertCanListen } from './listen-probe.js';

/** The issues of the ConfigError `probe` threw. */
async function refusal(probe: Promise<void>) {
  const error = await probe.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues;
}

describe('assertCanListen', () => {
  let taken: Server;
  let takenPort: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it.each([0, 'a free port'])('lets a local host and %s through', async (which) => {
    let port = 0;
    if (which !== 0) {
      const free = createServer();
      await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
      port = (free.address() as AddressInfo).port;
      await new Promise<void>((resolve) => free.close(() => resolve()));
    }
    await expect(assertCanListen(port, '127.0.0.1')).resolves.toBeUndefined();
  });

  it.each([
    ['256.1.1.1', 'does not resolve'],
    ['no-such-host.invalid', 'does not resolve'],
    ['10.99.99.99', 'not an address of this machine'],
  ])('blames HOST alone for %s, with port 0 too', async (host, why) => {
    for (const port of [0, takenPort + 1]) {
      const issues = await refusal(assertCanListen(port, host));
      expect(issues).toEqual([
        {
          variable: 'HOST',
          expected: expect.stringContaining('an address of this machine'),
          received: expect.stringContaining(`${host} (${why}`),
        },
      ]);
    }
  });

  it('blames PORT alone for a port in use', async () => {
    expect(await refusal(assertCanListen(takenPort, '127.0.0.1'))).toEqual([
      {
        variable: 'PORT',
        expected: expect.stringContaining('a port this process may listen on at 127.0.0.1'),
        received: `${takenPort} (already in use)`,
      },
    ]);
  });
});
