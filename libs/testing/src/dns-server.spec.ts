import { promises as dns } from 'node:dns';
import { startDnsServer, type TestDnsServer } from './dns-server.js';

describe('the test DNS server', () => {
  let server: TestDnsServer;
  let flips = 0;
  const resolver = new dns.Resolver({ tries: 1, timeout: 100 });

  beforeAll(async () => {
    server = await startDnsServer((name, type) => {
      if (name === 'both.test') return type === 'A' ? ['192.0.2.7'] : ['2001:db8::7', '::1'];
      if (name === 'flip.test' && type === 'A')
        return [flips++ % 2 ? '127.0.0.1' : '93.184.215.14'];
      if (name === 'silent.test') return null;
      return [];
    });
    resolver.setServers([server.address]);
  });
  afterAll(() => server.close());

  it('answers A and AAAA queries with the addresses it is given', async () => {
    expect(await resolver.resolve4('both.test')).toEqual(['192.0.2.7']);
    expect(await resolver.resolve6('Both.Test')).toEqual(['2001:db8::7', '::1']);
  });

  it('asks the function on every query, so answers can change (TTL 0: nothing is cached)', async () => {
    expect(await resolver.resolve4('flip.test')).toEqual(['93.184.215.14']);
    expect(await resolver.resolve4('flip.test')).toEqual(['127.0.0.1']);
    expect(server.queries('flip.test')).toEqual(['A', 'A']);
  });

  it('answers an unknown name with no records', async () => {
    await expect(resolver.resolve4('unknown.test')).rejects.toMatchObject({ code: 'ENODATA' });
    expect(server.queries('unknown.test')).toEqual(['A']);
  });

  it('never answers a query the function answers with null', async () => {
    await expect(resolver.resolve4('silent.test')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    expect(server.queries('silent.test')).toEqual(['A']);
  });
});
