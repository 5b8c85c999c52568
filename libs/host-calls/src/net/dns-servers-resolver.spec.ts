import { startDnsServer, type TestDnsServer } from '@convergio/testing';
import { dnsServersResolver } from './dns-servers-resolver.js';

describe('dnsServersResolver', () => {
  let server: TestDnsServer;
  beforeAll(async () => {
    server = await startDnsServer((name, type) => {
      if (name === 'dual.rebind.test') return type === 'A' ? ['93.184.215.14'] : ['2606:2800::1'];
      if (name === 'v6only.rebind.test' && type === 'AAAA') return ['::1'];
      return [];
    });
  });
  afterAll(() => server.close());

  it('asks only the given servers, for A and AAAA, and returns every answer', async () => {
    const resolve = dnsServersResolver([server.address]);
    expect(await resolve('dual.rebind.test')).toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800::1', family: 6 },
    ]);
    expect(server.queries('dual.rebind.test').sort()).toEqual(['A', 'AAAA']);
  });

  it('answers with one family when the other has no record', async () => {
    expect(await dnsServersResolver([server.address])('v6only.rebind.test')).toEqual([
      { address: '::1', family: 6 },
    ]);
  });

  it('rejects a name without any address', async () => {
    await expect(dnsServersResolver([server.address])('nothing.rebind.test')).rejects.toMatchObject(
      { code: 'ENODATA' },
    );
  });

  it('refuses a server that is not an address at once', () => {
    expect(() => dnsServersResolver(['ns1.example.com'])).toThrow(/Invalid IP address/);
  });
});
