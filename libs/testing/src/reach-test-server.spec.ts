import { reachTestServer } from './reach-test-server.js';

const server = { name: 'Thing', url: 'thing://127.0.0.1:1', start: 'start it with `thing -d`' };

describe('reachTestServer', () => {
  it('tries again until the server answers, and returns what the answering attempt made', async () => {
    let attempts = 0;
    const connected = await reachTestServer(server, () =>
      ++attempts < 3
        ? Promise.reject(new Error(`refused ${attempts}`))
        : Promise.resolve('connection'),
    );

    expect(connected).toBe('connection');
    expect(attempts).toBe(3);
  });

  it('fails after its patience, naming the server, the last failure and how to start it', async () => {
    let attempts = 0;
    const reached = reachTestServer(
      server,
      () => Promise.reject(new Error(`refused ${++attempts}`)),
      600,
    );

    await expect(reached).rejects.toThrow(
      new RegExp(
        '^Thing is unreachable at thing://127\\.0\\.0\\.1:1 \\(Error: not satisfied within 600 ms: refused \\d+\\): start it with `thing -d`$',
      ),
    );
    expect(attempts).toBeGreaterThanOrEqual(2);
  });
});
