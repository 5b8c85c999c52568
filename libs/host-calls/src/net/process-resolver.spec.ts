import { netMainThreadOps, systemResolver, useResolver } from './index.js';
import { netHostFunctions } from './net-host-functions.js';
import { FakeHostEnv, testPolicy } from './testing/fake-host-env.js';

describe('useResolver', () => {
  afterEach(() => useResolver(systemResolver));

  it("is what the process's network operations resolve names with", async () => {
    const asked: string[] = [];
    useResolver((name) => {
      asked.push(name);
      return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    });
    const env = new FakeHostEnv(
      netHostFunctions,
      netMainThreadOps,
      { id: 'acme.fetcher', version: '1.0.0', trust: 'untrusted' },
      { 'net.http': { rules: [{ host: 'innocent.example', methods: ['GET'] }] } },
      testPolicy({ allowPrivateNetworks: false }),
    );
    expect(
      await env.invoke('http_request', { url: 'https://innocent.example/', method: 'GET' }),
    ).toMatchObject({
      error: {
        code: 'permission_denied',
        message: 'host innocent.example resolves to 127.0.0.1 is loopback',
      },
    });
    expect(asked).toEqual(['innocent.example']);
  });
});
