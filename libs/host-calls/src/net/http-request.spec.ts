import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRule } from '@convergio/contracts';
import { REENCODED_PATH } from '@convergio/policy';
import { bindHostFunctions } from '../dispatch.js';
import { createNetMainThreadOps } from './net-main-ops.js';
import { FakeHostEnv, testPolicy } from './testing/fake-host-env.js';
import type { OperatorPolicy } from '@convergio/sandbox';

const plugin = { id: 'acme.fetcher', version: '1.0.0', trust: 'untrusted' as const };

interface TestServer {
  port: number;
  url: string;
  requests: IncomingMessage[];
  close: () => Promise<void>;
}

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const echo = (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.setHeader('x-echo-host', req.headers.host ?? '');
    res.setHeader('x-echo-method', req.method ?? '');
    res.setHeader('x-seen-headers', Object.keys(req.headers).sort().join(','));
    res.end(`hello ${req.url} ${Buffer.concat(chunks).toString()}`);
  });
};

/** A plugin's headers as its JSON input arrives: JSON.parse makes `__proto__` a member like any other. */
const pluginHeaders = (json: string) => JSON.parse(json) as Record<string, string>;

/** The header lines a server received, in order, names lowercased. */
const headerLines = (req: IncomingMessage): [string, string][] =>
  Array.from({ length: req.rawHeaders.length / 2 }, (_, i) => [
    req.rawHeaders[2 * i].toLowerCase(),
    req.rawHeaders[2 * i + 1],
  ]);

const rule = (port: number, extra: Partial<HttpRule> = {}): HttpRule => ({
  host: '127.0.0.1',
  methods: ['GET', 'POST'],
  schemes: ['http'],
  ports: [port],
  ...extra,
});

function envFor(
  rules: HttpRule[] | null,
  policy: Partial<OperatorPolicy> = {},
  ops = createNetMainThreadOps(),
) {
  return new FakeHostEnv(
    bindHostFunctions,
    ops,
    plugin,
    rules ? { 'net.http': { rules } } : {},
    testPolicy(policy),
  );
}

describe('http_request against real local servers', () => {
  let a: TestServer;
  let b: TestServer;
  beforeEach(async () => {
    a = await serve((req, res) => {
      if (req.url === '/to-b') return res.writeHead(302, { location: `${b.url}/secret` }).end();
      if (req.url === '/to-b-and-back')
        return res.writeHead(307, { location: `${b.url}/back` }).end();
      if (req.url === '/to-final') return res.writeHead(301, { location: '/final' }).end();
      if (req.url === '/api/double')
        return res.writeHead(302, { location: '/api/%252e%252e/admin' }).end();
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      if (req.url === '/big') return res.end('x'.repeat(100_000));
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 10_000).unref();
      if (req.url === '/bytes') return res.end(Buffer.from([0xff, 0x00, 0xfe]));
      echo(req, res);
    });
    b = await serve((req, res) => {
      if (req.url === '/back') return res.writeHead(307, { location: `${a.url}/home` }).end();
      echo(req, res);
    });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('performs an allowed request when private networks are allowed', async () => {
    const env = envFor([rule(a.port)]);
    const result = await env.invoke('http_request', {
      url: `${a.url}/hi?x=1`,
      method: 'POST',
      headers: {
        'Content-Type': 'text/plain',
        Host: 'evil.internal',
        Connection: 'keep-alive',
        'Proxy-Authorization': 'x',
      },
      body: 'world',
    });
    expect(result).toMatchObject({
      status: 200,
      body: 'hello /hi?x=1 world',
      encoding: 'utf8',
      truncated: false,
      headers: { 'x-echo-host': `127.0.0.1:${a.port}`, 'x-echo-method': 'POST' },
    });
    const seen = (result as { headers: Record<string, string> }).headers['x-seen-headers'];
    expect(seen).not.toMatch(/proxy-authorization/);
    expect(env.denials).toEqual([]);
  });

  it('sends a base64 body and returns binary bodies as base64', async () => {
    const env = envFor([rule(a.port)]);
    expect(
      await env.invoke('http_request', { url: `${a.url}/bytes`, method: 'GET' }),
    ).toMatchObject({
      body: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'),
      encoding: 'base64',
    });
    expect(
      await env.invoke('http_request', {
        url: `${a.url}/e`,
        method: 'POST',
        body: Buffer.from('hey').toString('base64'),
        encoding: 'base64',
      }),
    ).toMatchObject({ body: 'hello /e hey' });
  });

  it('refuses the same loopback request when private networks are not allowed, and records it', async () => {
    const env = envFor([rule(a.port)], { allowPrivateNetworks: false });
    const result = await env.invoke('http_request', { url: `${a.url}/hi`, method: 'GET' });
    expect(result).toEqual({
      error: {
        code: 'permission_denied',
        message: 'address 127.0.0.1 is loopback',
        capability: 'net.http',
        target: `${a.url}/hi`,
      },
    });
    expect(env.denials).toEqual([
      { capability: 'net.http', target: `${a.url}/hi`, reason: 'address 127.0.0.1 is loopback' },
    ]);
    expect(a.requests).toHaveLength(0);
  });

  it('parses and decides in the worker: the main thread gets only the decided request', () => {
    const env = envFor([rule(a.port)]);
    const sent = env.sentToMain('http_request', {
      url: `HTTP://127.0.0.1:${a.port}/a/../hi?x=1#frag`,
      method: 'post',
      headers: { 'X-Trace': 't', Host: 'evil.internal' },
      body: 'aGk=',
      encoding: 'base64',
      timeout_ms: 60_000,
    });
    expect(sent).toEqual({
      op: 'http_request',
      payload: {
        target: expect.objectContaining({ href: `http://127.0.0.1:${a.port}/hi?x=1` }),
        method: 'POST',
        headers: { 'x-trace': 't' },
        body: Buffer.from('hi'),
        timeoutMs: 3_000,
        followRedirects: true,
      },
    });
  });

  it('refuses a loopback address named in any form in the worker, before anything crosses', async () => {
    const env = envFor([rule(a.port)], { allowPrivateNetworks: false });
    const result = await env.invoke('http_request', {
      url: `http://2130706433:${a.port}/x?token=t`,
      method: 'GET',
    });
    expect(result).toMatchObject({
      error: { code: 'permission_denied', message: 'address 127.0.0.1 is loopback' },
    });
    expect(env.denials).toEqual([
      {
        capability: 'net.http',
        target: `${a.url}/x`,
        reason: 'address 127.0.0.1 is loopback',
      },
    ]);
    expect(env.calls).toEqual([]);
    expect(a.requests).toHaveLength(0);
  });

  it('refuses a redirect from the allowed server to a forbidden port at the hop', async () => {
    const env = envFor([rule(a.port)]);
    const result = await env.invoke('http_request', { url: `${a.url}/to-b`, method: 'GET' });
    expect(result).toMatchObject({ error: { code: 'permission_denied' } });
    expect(env.denials).toEqual([
      {
        capability: 'net.http',
        target: `${b.url}/secret`,
        reason: `redirect refused: port ${b.port} is not allowed for 127.0.0.1`,
      },
    ]);
    expect(b.requests).toHaveLength(0);
  });

  it('follows a redirect to an allowed target', async () => {
    const env = envFor([rule(a.port)]);
    expect(
      await env.invoke('http_request', { url: `${a.url}/to-final`, method: 'GET' }),
    ).toMatchObject({
      status: 200,
      body: 'hello /final ',
      url: `${a.url}/final`,
    });
  });

  it('carries only safe headers to another origin, and never brings the rest back', async () => {
    const env = envFor([rule(a.port), rule(b.port)]);
    const result = await env.invoke('http_request', {
      url: `${a.url}/to-b-and-back`,
      method: 'POST',
      headers: {
        Authorization: 'Bearer t',
        'X-Api-Key': 'k',
        'PRIVATE-TOKEN': 'p',
        'x-goog-api-key': 'g',
        'X-Amz-Security-Token': 'a',
        'X-Acme-Session': 's',
        Accept: 'text/plain',
        'Content-Type': 'text/plain',
      },
      body: 'kept by 307',
    });
    expect(result).toMatchObject({ status: 200, body: 'hello /home kept by 307' });
    const [first, atB, home] = [a.requests[0], b.requests[0], a.requests[1]];
    expect(first.headers).toMatchObject({ 'x-api-key': 'k', 'x-acme-session': 's' });
    for (const hop of [atB, home]) {
      expect(Object.keys(hop.headers).sort()).toEqual([
        'accept',
        'connection',
        'content-length',
        'content-type',
        'host',
      ]);
    }
  });

  it('sends headers named like members of Object as the plugin wrote them, a list written in several cases joined', async () => {
    const env = envFor([rule(a.port)]);
    const result = await env.invoke('http_request', {
      url: `${a.url}/named`,
      method: 'GET',
      headers: pluginHeaders(
        '{"__proto__":"p","constructor":"c","toString":"t","hasOwnProperty":"h","Accept":"1","accept":"2","ACCEPT":"3"}',
      ),
    });
    expect(result).toMatchObject({ status: 200, body: 'hello /named ' });
    expect(headerLines(a.requests[0])).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['tostring', 't'],
      ['hasownproperty', 'h'],
      ['accept', '1, 2, 3'],
      ['host', `127.0.0.1:${a.port}`],
      ['connection', 'close'],
    ]);
  });

  it('carries headers named like members of Object on the origin, and only safe ones to another', async () => {
    const env = envFor([rule(a.port), rule(b.port)]);
    const headers = pluginHeaders(
      '{"__proto__":"p","constructor":"c","Accept":"text/plain","Content-Type":"text/plain"}',
    );
    await env.invoke('http_request', { url: `${a.url}/to-final`, method: 'GET', headers });
    const sent = [
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['accept', 'text/plain'],
      ['content-type', 'text/plain'],
      ['host', `127.0.0.1:${a.port}`],
      ['connection', 'close'],
    ];
    expect(a.requests.map(headerLines)).toEqual([sent, sent]);
    await env.invoke('http_request', { url: `${a.url}/to-b`, method: 'GET', headers });
    expect(b.requests.map(headerLines)).toEqual([
      [
        ['accept', 'text/plain'],
        ['content-type', 'text/plain'],
        ['host', `127.0.0.1:${b.port}`],
        ['connection', 'close'],
      ],
    ]);
  });

  it('refuses a path a second decoding would change, on the request and on a redirect hop, under a rule without prefix', async () => {
    const reason = REENCODED_PATH;
    const env = envFor([rule(a.port)]);
    expect(
      await env.invoke('http_request', { url: `${a.url}/api/%252e%252e/admin`, method: 'GET' }),
    ).toMatchObject({ error: { code: 'permission_denied', message: reason } });
    expect(
      await env.invoke('http_request', { url: `${a.url}/api/double`, method: 'GET' }),
    ).toMatchObject({
      error: { code: 'permission_denied', message: `redirect refused: ${reason}` },
    });
    expect(a.requests.map((r) => r.url)).toEqual(['/api/double']);
  });

  it('returns the redirect itself when the plugin asks not to follow', async () => {
    const env = envFor([rule(a.port)]);
    expect(
      await env.invoke('http_request', {
        url: `${a.url}/to-b`,
        method: 'GET',
        follow_redirects: false,
      }),
    ).toMatchObject({
      status: 302,
      headers: { location: `${b.url}/secret` },
    });
  });

  it('stops a redirect loop after 5 hops', async () => {
    const env = envFor([rule(a.port)]);
    expect(await env.invoke('http_request', { url: `${a.url}/loop`, method: 'GET' })).toMatchObject(
      {
        error: { code: 'too_many_redirects' },
      },
    );
    expect(a.requests).toHaveLength(6);
    expect(env.denials).toEqual([]);
  });

  it('truncates a response larger than the cap', async () => {
    const env = envFor([rule(a.port)], { maxHttpResponseBytes: 1000 });
    const result = (await env.invoke('http_request', { url: `${a.url}/big`, method: 'GET' })) as {
      body: string;
      truncated: boolean;
    };
    expect(result.truncated).toBe(true);
    expect(result.body).toBe('x'.repeat(1000));
  });

  it('cuts a slow server at the timeout', async () => {
    const env = envFor([rule(a.port)]);
    expect(
      await env.invoke('http_request', { url: `${a.url}/slow`, method: 'GET', timeout_ms: 200 }),
    ).toMatchObject({
      error: { code: 'timeout' },
    });
  });

  it('never waits longer than the operator timeout, whatever the plugin asks', async () => {
    const env = envFor([rule(a.port)], { httpTimeoutMs: 200 });
    expect(
      await env.invoke('http_request', { url: `${a.url}/slow`, method: 'GET', timeout_ms: 60_000 }),
    ).toMatchObject({
      error: { code: 'timeout' },
    });
  });

  it('aborts an in-flight request when the op signal aborts', async () => {
    const controller = new AbortController();
    const { payload } = envFor([rule(a.port)]).sentToMain('http_request', {
      url: `${a.url}/slow`,
      method: 'GET',
    })!;
    const pending = createNetMainThreadOps().http_request(payload, {
      plugin,
      signal: controller.signal,
      instance: 'main-side',
      policy: testPolicy(),
      grants: { 'net.http': { rules: [rule(a.port)] } },
    });
    while (a.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect(await pending).toMatchObject({ error: { code: 'aborted' } });
  });

  it.each([
    [{ method: 'DELETE' }, 'method DELETE is not allowed for 127.0.0.1'],
    [{ port: 1 }, 'port 1 is not allowed for 127.0.0.1'],
    [{ scheme: 'https' }, 'scheme https is not allowed for 127.0.0.1'],
    [{ scheme: 'ftp' }, 'scheme ftp is not supported here'],
  ])('refuses %j without crossing threads', async (change, reason) => {
    const env = envFor([rule(a.port)]);
    const port = 'port' in change ? change.port : a.port;
    const scheme = 'scheme' in change ? change.scheme : 'http';
    const method = 'method' in change ? change.method : 'GET';
    const result = await env.invoke('http_request', {
      url: `${scheme}://127.0.0.1:${port}/`,
      method,
    });
    expect(result).toMatchObject({ error: { code: 'permission_denied', message: reason } });
    expect(env.denials).toHaveLength(1);
    expect(env.calls).toHaveLength(0);
  });

  it('refuses without a net.http grant, without crossing threads', async () => {
    const env = envFor(null);
    expect(await env.invoke('http_request', { url: `${a.url}/`, method: 'GET' })).toMatchObject({
      error: { code: 'permission_denied', message: 'no net.http permission granted' },
    });
    expect(env.calls).toHaveLength(0);
  });

  it('refuses localhost when private networks are not allowed, and reaches it when they are', async () => {
    const localhost = { ...rule(a.port), host: 'localhost' };
    const strict = envFor([localhost], { allowPrivateNetworks: false });
    expect(
      await strict.invoke('http_request', { url: `http://localhost:${a.port}/`, method: 'GET' }),
    ).toMatchObject({
      error: { code: 'permission_denied', message: 'host localhost is loopback' },
    });
    const lenient = envFor([localhost]);
    expect(
      await lenient.invoke('http_request', { url: `http://localhost:${a.port}/x`, method: 'GET' }),
    ).toMatchObject({
      status: 200,
      headers: { 'x-echo-host': `localhost:${a.port}` },
    });
  });

  it('refuses a public-looking name that resolves to loopback, on the main side', async () => {
    const ops = createNetMainThreadOps(() =>
      Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
    );
    const env = envFor(
      [{ ...rule(a.port), host: 'innocent.example' }],
      { allowPrivateNetworks: false },
      ops,
    );
    expect(
      await env.invoke('http_request', {
        url: `http://innocent.example:${a.port}/`,
        method: 'GET',
      }),
    ).toMatchObject({
      error: {
        code: 'permission_denied',
        message: 'host innocent.example resolves to 127.0.0.1 is loopback',
      },
    });
    expect(env.denials).toHaveLength(1);
    expect(a.requests).toHaveLength(0);
  });

  it('refuses a name when any of its addresses is private', async () => {
    const ops = createNetMainThreadOps(() =>
      Promise.resolve([
        { address: '93.184.216.34', family: 4 },
        { address: '::ffff:169.254.169.254', family: 6 },
      ]),
    );
    const env = envFor(
      [{ ...rule(80), host: 'mixed.example' }],
      { allowPrivateNetworks: false },
      ops,
    );
    expect(
      await env.invoke('http_request', { url: 'http://mixed.example/', method: 'GET' }),
    ).toMatchObject({
      error: { code: 'permission_denied', message: expect.stringContaining('169.254.169.254') },
    });
  });

  it('connects to the checked address only: a rebinding resolver is asked once', async () => {
    const answers = ['127.0.0.1', '127.0.0.2'];
    const asked: string[] = [];
    const ops = createNetMainThreadOps((name) => {
      asked.push(name);
      return Promise.resolve([{ address: answers[Math.min(asked.length - 1, 1)], family: 4 }]);
    });
    const env = envFor([{ ...rule(a.port), host: 'rebind.example' }], {}, ops);
    // Nothing listens on 127.0.0.2: a second resolution would fail the request.
    expect(
      await env.invoke('http_request', {
        url: `http://rebind.example:${a.port}/pinned`,
        method: 'GET',
      }),
    ).toMatchObject({
      status: 200,
      body: 'hello /pinned ',
      headers: { 'x-echo-host': `rebind.example:${a.port}` },
    });
    expect(asked).toEqual(['rebind.example']);
  });

  it('refuses a request over the size cap', async () => {
    const env = envFor([rule(a.port)], { maxHttpRequestBytes: 100 });
    expect(
      await env.invoke('http_request', { url: `${a.url}/`, method: 'POST', body: 'x'.repeat(200) }),
    ).toMatchObject({
      error: { code: 'payload_too_large' },
    });
    expect(a.requests).toHaveLength(0);
  });

  it('counts the URL as sent, percent-encoded, against the size cap', async () => {
    const path = `/${'\u4e00'.repeat(100)}?q=${'\u00e9'.repeat(100)}`;
    const sentPath = `/${'%E4%B8%80'.repeat(100)}?q=${'%C3%A9'.repeat(100)}`;
    const exact = sentPath.length + `127.0.0.1:${a.port}`.length; // request target and Host
    const request = { url: `${a.url}${path}`, method: 'GET' };
    expect(
      await envFor([rule(a.port)], { maxHttpRequestBytes: exact - 1 }).invoke(
        'http_request',
        request,
      ),
    ).toEqual({
      error: {
        code: 'payload_too_large',
        message: `the request is ${exact} bytes, over the ${exact - 1} byte limit`,
      },
    });
    expect(a.requests).toHaveLength(0);
    expect(
      await envFor([rule(a.port)], { maxHttpRequestBytes: exact }).invoke('http_request', request),
    ).toMatchObject({ status: 200 });
    expect(a.requests[0].url).toBe(sentPath);
  });

  it.each([
    [null, 'input must be an object'],
    [{ url: 'x' }, 'method must be an HTTP method'],
    [
      { url: 'http://a/', method: 'GET', headers: { 'X-A': 'a\r\nb' } },
      'header X-A has U+000D; a header value holds only tab, space, visible ASCII and U+0080 to U+00FF',
    ],
    [
      { url: 'http://a/', method: 'GET', headers: { Authorization: 'a', authorization: 'b' } },
      'header authorization repeats Authorization; only Cookie and list headers may be given in several cases',
    ],
    [
      { url: 'http://a/', method: 'GET', body: '***', encoding: 'base64' },
      'body is not valid base64',
    ],
    [{ url: 'http://a/', method: 'GET', extra: 1 }, 'unknown field "extra"'],
  ])('rejects bad input %j with a typed error', async (input, message) => {
    const env = envFor([{ host: 'a', methods: ['GET'], schemes: ['http'] }]);
    expect(await env.invoke('http_request', input)).toEqual({
      error: { code: 'invalid_input', message },
    });
    expect(env.denials).toEqual([]);
  });

  it('turns a failing main thread into a network error, never a throw', () => {
    const functions = bindHostFunctions({
      plugin,
      grants: { 'net.http': { rules: [rule(a.port)] } },
      policy: testPolicy(),
      deny: () => ({ error: { code: 'permission_denied', message: '' } }),
      callMain: () => {
        throw new Error('worker channel broke');
      },
      emit: () => undefined,
      emitLogLine: () => undefined,
      countDroppedTelemetry: () => undefined,
      releasedSecrets: () => [],
    });
    expect(functions.http_request({ url: `${a.url}/`, method: 'GET' })).toEqual({
      error: { code: 'network_error', message: 'network error: worker channel broke' },
    });
  });
});
