import dns from 'node:dns';
import { expectEventually, startDnsServer, type TestDnsServer } from '@convergio/testing';
import { dnsServersResolver, systemDnsResolver } from './dns-servers-resolver.js';
import { parseHostsFile } from './hosts-file.js';

describe('dnsServersResolver', () => {
  let server: TestDnsServer;
  beforeAll(async () => {
    server = await startDnsServer((name, type) => {
      if (name === 'dual.rebind.test') return type === 'A' ? ['93.184.215.14'] : ['2606:2800::1'];
      if (name === 'v6only.rebind.test' && type === 'AAAA') return ['::1'];
      if (name.endsWith('.silent.test')) return null;
      if (name === 'localhost' && type === 'A') return ['93.184.215.14'];
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
    expect(() => dnsServersResolver([])).toThrow('no DNS server to ask');
  });

  it('gives up within the budget it is given when the server never answers', async () => {
    const started = Date.now();
    await expect(
      dnsServersResolver([server.address])('budget.silent.test', { timeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'ETIMEOUT' });
    // c-ares alone (4 tries of 5 s by default) would take far longer.
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 5_000);

  it('cancels the queries when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = dnsServersResolver([server.address])('abort.silent.test', {
      signal: controller.signal,
      timeoutMs: 60_000,
    });
    await expectEventually(() => expect(server.queries('abort.silent.test')).toHaveLength(2));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ECANCELLED' });
  }, 5_000);

  it('cancels only the call whose signal aborts (a channel per call)', async () => {
    const resolve = dnsServersResolver([server.address]);
    const [first, second] = [new AbortController(), new AbortController()];
    const cancelled = resolve('one.silent.test', { signal: first.signal, timeoutMs: 60_000 });
    let secondSettled = false;
    const other = resolve('two.silent.test', { signal: second.signal, timeoutMs: 60_000 }).finally(
      () => (secondSettled = true),
    );
    await expectEventually(() => {
      expect(server.queries('one.silent.test')).toHaveLength(2);
      expect(server.queries('two.silent.test')).toHaveLength(2);
    });
    first.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'ECANCELLED' });
    expect(secondSettled).toBe(false);
    second.abort();
    await expect(other).rejects.toMatchObject({ code: 'ECANCELLED' });
  }, 5_000);

  it('answers names of its hosts table, and localhost as loopback, without asking', async () => {
    const resolve = dnsServersResolver([server.address], {
      hosts: parseHostsFile('10.1.2.3 db.internal\n'),
    });
    expect(await resolve('db.internal')).toEqual([{ address: '10.1.2.3', family: 4 }]);
    expect(await resolve('localhost')).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(server.queries('db.internal')).toEqual([]);
    expect(server.queries('localhost')).toEqual([]);
  });

  it('without a hosts table, asks the servers even for localhost', async () => {
    expect(await dnsServersResolver([server.address])('localhost')).toEqual([
      { address: '93.184.215.14', family: 4 },
    ]);
  });
});

describe('systemDnsResolver', () => {
  let server: TestDnsServer;
  const original = dns.getServers();
  beforeAll(async () => {
    server = await startDnsServer((name, type) =>
      name === 'configured.test' && type === 'A' ? ['93.184.215.14'] : [],
    );
    // What Node read from /etc/resolv.conf at start, replaced for this test.
    dns.setServers([server.address]);
  });
  afterAll(async () => {
    dns.setServers(original);
    await server.close();
  });

  it("asks the system's configured DNS servers (never getaddrinfo) and reads /etc/hosts", async () => {
    const resolve = systemDnsResolver();
    expect(await resolve('configured.test')).toEqual([{ address: '93.184.215.14', family: 4 }]);
    expect(server.queries('configured.test').sort()).toEqual(['A', 'AAAA']);
    expect(await resolve('localhost')).toContainEqual({ address: '127.0.0.1', family: 4 });
    expect(server.queries('localhost')).toEqual([]);
  });
});
