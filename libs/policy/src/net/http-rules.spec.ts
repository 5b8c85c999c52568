import type { HttpRule } from '@convergio/contracts';
import { decideHttpRequest, decideRedirect, MAX_REDIRECTS, type HttpGrant } from './http-rules.js';
import { REENCODED_PATH } from './reencoded-path.js';
import { parseNetUrl, type NetTarget } from './target.js';

const strict = { allowPrivateNetworks: false };
const lenient = { allowPrivateNetworks: true };

const rules: HttpRule[] = [
  { host: 'allowed.com', methods: ['GET'] },
  { host: 'api.allowed.com', methods: ['GET', 'POST'], path_prefix: '/api' },
  { host: '*.cdn.example', methods: ['GET'], schemes: ['https', 'http'], ports: [443, 80, 8443] },
  { host: 'bücher.example', methods: ['GET'] },
  { host: '127.0.0.1', methods: ['GET'], schemes: ['http'], ports: [8080] },
  { host: '169.254.169.254', methods: ['GET'], schemes: ['http'] },
  { host: 'metadata.google.internal', methods: ['GET'], schemes: ['http'] },
  { host: '::1', methods: ['GET'], schemes: ['http'] },
];
const grant: HttpGrant = { rules };

const TWICE = 'path has %25 followed by hex digits: a second percent-decoding would change it';

const decide = (url: string, method = 'GET', policy = strict) =>
  decideHttpRequest({ url, method }, grant, policy);

describe('decideHttpRequest allows what a rule grants', () => {
  it.each([
    ['https://allowed.com/', 'GET'],
    ['https://allowed.com:443/anything?q=1', 'GET'],
    ['https://ALLOWED.COM./x', 'GET'],
    ['https://api.allowed.com/api', 'POST'],
    ['https://api.allowed.com/api/v1/items', 'get'],
    ['https://api.allowed.com/%61pi/x', 'POST'],
    ['https://img.cdn.example/a.png', 'GET'],
    ['http://a.b.cdn.example:8443/', 'GET'],
    ['https://xn--bcher-kva.example/', 'GET'],
    ['https://BÜCHER.example/', 'GET'],
  ])('%s %s', (url, method) => {
    const decision = decide(url, method);
    expect(decision).toMatchObject({ allowed: true, method: method.toUpperCase() });
  });

  it('hands back the checked target to connect to, rebuilt from the parsed parts', () => {
    const decision = decide('https://ALLOWED.com.:443/a/./b/../c?x=1#frag');
    expect(decision.allowed && decision.target.href).toBe('https://allowed.com/a/c?x=1');
  });
});

describe('decideHttpRequest refuses the attacks real systems fell to', () => {
  it.each([
    // SSRF to the local machine and the metadata service, in every spelling
    ['http://127.0.0.1:8080/', 'address 127.0.0.1 is loopback'],
    ['http://0x7f000001:8080/', 'address 127.0.0.1 is loopback'],
    ['http://2130706433:8080/', 'address 127.0.0.1 is loopback'],
    ['http://127.1:8080/', 'address 127.0.0.1 is loopback'],
    ['http://0177.0.0.1:8080/', 'address 127.0.0.1 is loopback'],
    ['http://127.000.000.001:8080/', 'address 127.0.0.1 is loopback'],
    ['http://[::1]/', 'address ::1 is loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'address ::1 is loopback'],
    ['http://[::ffff:127.0.0.1]:8080/', 'address ::ffff:7f00:1 (embeds 127.0.0.1) is loopback'],
    ['http://[::ffff:7f00:1]:8080/', 'address ::ffff:7f00:1 (embeds 127.0.0.1) is loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'address 169.254.169.254 is link-local'],
    [
      'http://[::ffff:a9fe:a9fe]/',
      'address ::ffff:a9fe:a9fe (embeds 169.254.169.254) is link-local',
    ],
    [
      'http://metadata.google.internal/computeMetadata/v1/',
      'host metadata.google.internal is a cloud metadata name',
    ],
    ['http://0.0.0.0:8080/', 'address 0.0.0.0 is unspecified'],
    ['http://0:8080/', 'address 0.0.0.0 is unspecified'],
    ['http://localhost:8080/', 'host localhost is loopback'],
    ['http://10.0.0.1/', 'address 10.0.0.1 is private'],
    // parser confusion
    ['https://allowed.com@evil.com/', 'url must not contain userinfo (user@host)'],
    ['https://allowed.com:x@evil.com/', 'url must not contain userinfo (user@host)'],
    ['https://allowed.com.evil.com/', 'host allowed.com.evil.com is not allowed'],
    ['https://evil.com#@allowed.com', 'host evil.com is not allowed'],
    ['https://evil.com?@allowed.com', 'host evil.com is not allowed'],
    ['https://evil.com\\@allowed.com/', 'host evil.com is not allowed'],
    ['https://evilallowed.com/', 'host evilallowed.com is not allowed'],
    ['https://evilcdn.example/', 'host evilcdn.example is not allowed'],
    ['https://cdn.example/', 'host cdn.example is not allowed'],
    // IDN homograph: Cyrillic "а" punycodes to another host than the granted one
    ['https://аllowed.com/', 'host xn--llowed-2nf.com is not allowed'],
    ['https://xn--llowed-2nf.com/', 'host xn--llowed-2nf.com is not allowed'],
    // scheme, port, method
    ['http://allowed.com/', 'scheme http is not allowed for allowed.com'],
    ['https://allowed.com:8443/', 'port 8443 is not allowed for allowed.com'],
    ['ftp://allowed.com/', 'scheme ftp is not supported here'],
    ['file:///etc/passwd', 'scheme file is not supported here'],
    ['gopher://allowed.com:6379/_FLUSHALL', 'scheme gopher is not supported here'],
    ['javascript:alert(1)', 'scheme javascript is not supported here'],
    ['//allowed.com/', 'url is not a valid absolute URL'],
    // a lone surrogate (invalid UTF-8 kept by the host-call decoder) would become U+FFFD
    [
      'https://allowed.com/a\udcff',
      'url is not well-formed Unicode (invalid UTF-8 or a lone surrogate)',
    ],
    ['https:///', 'url is not a valid absolute URL'],
    // path prefix escapes
    ['https://api.allowed.com/apix', 'path /apix is outside /api'],
    ['https://api.allowed.com/api/../admin', 'path /admin is outside /api'],
    ['https://api.allowed.com/api/%2e%2e/admin', 'path /admin is outside /api'],
    [
      'https://api.allowed.com/api/..%2fadmin',
      'path has dot segments, backslashes or control characters once decoded',
    ],
    [
      'https://api.allowed.com/api/..%5cadmin',
      'path has dot segments, backslashes or control characters once decoded',
    ],
    [
      'https://api.allowed.com/api/..;/admin',
      'path has dot segments, backslashes or control characters once decoded',
    ],
    [
      'https://api.allowed.com/api/%2e%2e%2fadmin',
      'path has dot segments, backslashes or control characters once decoded',
    ],
    [
      'https://api.allowed.com/api/%00',
      'path has dot segments, backslashes or control characters once decoded',
    ],
    ['https://api.allowed.com/api/%zz', 'path has malformed percent-encoding'],
    ['https://api.allowed.com/api/%252e%252e/admin', REENCODED_PATH],
    ['https://api.allowed.com/api/%252E%252E%252Fadmin', REENCODED_PATH],
    ['https://api.allowed.com/api/%252fadmin', REENCODED_PATH],
    ['https://api.allowed.com/api/%255cadmin', REENCODED_PATH],
    ['https://api.allowed.com/api/%25%32%65%25%32%65/admin', REENCODED_PATH],
    ['https://api.allowed.com/%2561pi/x', TWICE],
    ['https://api.allowed.com/api/%2541', TWICE],
  ])('%s is refused: %s', (url, reason) => {
    const method = url.startsWith('https://api.allowed.com') ? 'POST' : 'GET';
    expect(decide(url, method)).toMatchObject({
      allowed: false,
      code: 'permission_denied',
      reason,
    });
  });

  it.each([
    ['DELETE', 'method DELETE is not allowed for allowed.com'],
    ['CONNECT', 'method CONNECT is not allowed for allowed.com'],
    ['TRACE', 'method TRACE is not allowed for allowed.com'],
  ])('refuses method %s', (method, reason) => {
    expect(decide('https://allowed.com/', method)).toMatchObject({ allowed: false, reason });
  });

  it('refuses everything without a grant', () => {
    expect(
      decideHttpRequest({ url: 'https://allowed.com/', method: 'GET' }, undefined, lenient),
    ).toMatchObject({
      allowed: false,
      reason: 'no net.http permission granted',
    });
  });

  it('names the refused target without its query (queries may carry tokens)', () => {
    expect(decide('https://evil.com/x?token=secret')).toMatchObject({
      target: 'https://evil.com/x',
    });
  });
});

describe('decideHttpRequest refuses a path a second decoding would change, under every rule', () => {
  // allowed.com's rule has no path prefix: the server behind it must not be steered either.
  it.each([
    'https://allowed.com/api/%252e%252e/admin',
    'https://allowed.com/api/%252E%252E/admin',
    'https://allowed.com/api/..%252fadmin',
    'https://allowed.com/api/..%255Cadmin',
    'https://allowed.com/api/file%2500.txt',
    'https://allowed.com/api/%25%32%65%25%32%65/admin',
    'https://allowed.com/api/%25252e%25252e/admin',
    'https://api.allowed.com/api/%252e%252e/admin',
  ])('%s', (url) => {
    expect(decide(url)).toMatchObject({
      allowed: false,
      code: 'permission_denied',
      reason: REENCODED_PATH,
    });
  });

  it.each([
    'https://allowed.com/files/100%25',
    'https://allowed.com/files/100%25off',
    'https://allowed.com/files/%25zz',
    'https://allowed.com/files/%2541',
  ])('keeps a literal percent sign working: %s', (url) => {
    expect(decide(url)).toMatchObject({ allowed: true });
  });
});

describe('allowPrivateNetworks opens private targets the rules grant, and only those', () => {
  it.each([
    'http://127.0.0.1:8080/',
    'http://2130706433:8080/',
    'http://169.254.169.254/',
    'http://metadata.google.internal/',
    'http://[::1]/',
  ])('%s', (url) => expect(decide(url, 'GET', lenient)).toMatchObject({ allowed: true }));

  it('still needs a rule', () => {
    expect(decide('http://10.0.0.1/', 'GET', lenient)).toMatchObject({
      allowed: false,
      reason: 'host 10.0.0.1 is not allowed',
    });
  });

  it('never opens the unspecified address', () => {
    const g: HttpGrant = { rules: [{ host: '0.0.0.0', methods: ['GET'], schemes: ['http'] }] };
    expect(decideHttpRequest({ url: 'http://0/', method: 'GET' }, g, lenient)).toMatchObject({
      allowed: false,
    });
  });
});

describe('decideRedirect re-checks every hop', () => {
  const from = (url: string): NetTarget => {
    const parsed = parseNetUrl(url, ['http', 'https']);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  };
  const hop = (
    location: string,
    extra: Partial<{ status: number; method: string; hops: number; from: string }> = {},
  ) =>
    decideRedirect(
      {
        from: from(extra.from ?? 'https://allowed.com/start'),
        method: extra.method ?? 'GET',
        status: extra.status ?? 302,
        location,
        hops: extra.hops ?? 0,
      },
      grant,
      strict,
    );

  it('follows a relative redirect on the same origin', () => {
    expect(hop('/next')).toMatchObject({
      allowed: true,
      crossOrigin: false,
      target: { href: 'https://allowed.com/next' },
    });
  });

  it('follows a redirect to another granted host and marks it cross-origin', () => {
    expect(hop('https://img.cdn.example/x')).toMatchObject({ allowed: true, crossOrigin: true });
  });

  it.each([
    [
      'http://169.254.169.254/latest/meta-data/',
      'redirect refused: address 169.254.169.254 is link-local',
    ],
    ['http://127.0.0.1:8080/', 'redirect refused: address 127.0.0.1 is loopback'],
    ['https://evil.com/', 'redirect refused: host evil.com is not allowed'],
    ['http://allowed.com/', 'redirect refused: scheme http is not allowed for allowed.com'],
    ['file:///etc/passwd', 'redirect refused: scheme file is not supported here'],
    ['https://user@allowed.com/', 'redirect refused: url must not contain userinfo (user@host)'],
  ])('refuses a redirect to %s', (location, reason) => {
    expect(hop(location)).toMatchObject({ allowed: false, code: 'permission_denied', reason });
  });

  it('refuses a hop to a path a second decoding would change, on a rule without prefix', () => {
    expect(hop('/x/%252e%252e/admin')).toMatchObject({
      allowed: false,
      code: 'permission_denied',
      reason: `redirect refused: ${REENCODED_PATH}`,
    });
  });

  it.each([
    ['/api/%252e%252e/admin', `redirect refused: ${REENCODED_PATH}`],
    ['https://api.allowed.com/api/%252fadmin', `redirect refused: ${REENCODED_PATH}`],
    ['/api/%2541', `redirect refused: ${TWICE}`],
    [
      '/api/..%2fadmin',
      'redirect refused: path has dot segments, backslashes or control characters once decoded',
    ],
  ])('refuses a hop to the ambiguous path %s', (location, reason) => {
    expect(
      hop(location, { from: 'https://api.allowed.com/api/a', method: 'POST', status: 307 }),
    ).toMatchObject({ allowed: false, code: 'permission_denied', reason });
  });

  it(`stops after ${MAX_REDIRECTS} hops`, () => {
    expect(hop('/next', { hops: MAX_REDIRECTS })).toMatchObject({
      allowed: false,
      code: 'too_many_redirects',
    });
  });

  it('turns POST into GET on 302 and 303, keeps it on 307 and 308', () => {
    const opts = { from: 'https://api.allowed.com/api/a', method: 'POST' };
    expect(hop('/api/b', { ...opts, status: 303 })).toMatchObject({
      allowed: true,
      method: 'GET',
      bodyDropped: true,
    });
    expect(hop('/api/b', { ...opts, status: 302 })).toMatchObject({
      allowed: true,
      method: 'GET',
      bodyDropped: true,
    });
    expect(hop('/api/b', { ...opts, status: 307 })).toMatchObject({
      allowed: true,
      method: 'POST',
      bodyDropped: false,
    });
    expect(hop('/api/b', { ...opts, status: 308 })).toMatchObject({
      allowed: true,
      method: 'POST',
      bodyDropped: false,
    });
  });

  it('re-checks the method after a 307 on a host that only allows GET', () => {
    expect(
      hop('https://allowed.com/', {
        from: 'https://api.allowed.com/api/a',
        method: 'POST',
        status: 307,
      }),
    ).toMatchObject({
      allowed: false,
      reason: 'redirect refused: method POST is not allowed for allowed.com',
    });
  });
});
