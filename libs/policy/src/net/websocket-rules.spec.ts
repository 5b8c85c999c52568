import { decideWebSocket, parseWebSocketHostEntry } from './websocket-rules.js';
import { checkResolvedAddresses } from './resolved.js';
import { REENCODED_PATH } from './reencoded-path.js';
import { hostMatchesPattern, normaliseHost } from './host.js';

const strict = { allowPrivateNetworks: false };
const lenient = { allowPrivateNetworks: true };

describe('parseWebSocketHostEntry', () => {
  it.each([
    ['stream.example.com', { scheme: 'wss', host: 'stream.example.com', port: 443 }],
    ['*.example.com:8443', { scheme: 'wss', host: '*.example.com', port: 8443 }],
    ['ws://127.0.0.1:9000', { scheme: 'ws', host: '127.0.0.1', port: 9000 }],
    ['ws://example.com', { scheme: 'ws', host: 'example.com', port: 80 }],
    ['[::1]:9000', { scheme: 'wss', host: '::1', port: 9000 }],
    ['::1', { scheme: 'wss', host: '::1', port: 443 }],
  ])('%s', (entry, expected) => expect(parseWebSocketHostEntry(entry)).toEqual(expected));

  it.each([
    '',
    'example.com:0',
    'example.com:99999',
    'example.com:x',
    'wss://example.com/path',
    '[::1',
  ])('%s grants nothing', (entry) => expect(parseWebSocketHostEntry(entry)).toBeNull());
});

describe('decideWebSocket', () => {
  const grant = { hosts: ['stream.example.com', '*.feeds.example', 'ws://127.0.0.1:9000'] };
  const decide = (url: string, policy = strict) => decideWebSocket(url, grant, policy);

  it.each([
    'wss://stream.example.com/',
    'wss://STREAM.example.com./x',
    'wss://a.feeds.example/live',
  ])('allows %s', (url) => expect(decide(url)).toMatchObject({ allowed: true }));

  it('allows a granted loopback socket only when private networks are allowed', () => {
    expect(decide('ws://127.0.0.1:9000/', lenient)).toMatchObject({ allowed: true });
    expect(decide('ws://127.0.0.1:9000/')).toMatchObject({
      allowed: false,
      reason: 'address 127.0.0.1 is loopback',
    });
    expect(decide('ws://2130706433:9000/')).toMatchObject({
      allowed: false,
      reason: 'address 127.0.0.1 is loopback',
    });
  });

  it.each([
    ['ws://stream.example.com/', 'scheme ws is not allowed for stream.example.com'],
    ['wss://stream.example.com:8443/', 'port 8443 is not allowed for stream.example.com'],
    ['https://stream.example.com/', 'scheme https is not supported here'],
    ['wss://feeds.example/', 'host feeds.example is not allowed'],
    ['wss://evilfeeds.example/', 'host evilfeeds.example is not allowed'],
    ['wss://stream.example.com.evil.com/', 'host stream.example.com.evil.com is not allowed'],
    ['wss://stream.example.com@evil.com/', 'url must not contain userinfo (user@host)'],
    ['wss://[::ffff:127.0.0.1]/', 'address ::ffff:7f00:1 (embeds 127.0.0.1) is loopback'],
    ['wss://metadata.google.internal/', 'host metadata.google.internal is a cloud metadata name'],
    ['ws://127.0.0.1:9001/', 'address 127.0.0.1 is loopback'],
  ])('refuses %s: %s', (url, reason) =>
    expect(decide(url)).toMatchObject({ allowed: false, reason }),
  );

  it.each(['wss://stream.example.com/%252e%252e/admin', 'wss://a.feeds.example/live%252fadmin'])(
    'refuses %s: a second decoding would change its path',
    (url) => expect(decide(url)).toMatchObject({ allowed: false, reason: REENCODED_PATH }),
  );

  it('refuses a port that is not granted even when private networks are allowed', () => {
    expect(decide('ws://127.0.0.1:9001/', lenient)).toMatchObject({
      allowed: false,
      reason: 'port 9001 is not allowed for 127.0.0.1',
    });
  });

  it('refuses everything without a grant', () => {
    expect(decideWebSocket('wss://stream.example.com/', undefined, lenient)).toMatchObject({
      allowed: false,
    });
  });
});

describe('checkResolvedAddresses checks every answer', () => {
  it('allows a name whose addresses are all public', () => {
    expect(
      checkResolvedAddresses('a.example', ['93.184.216.34', '2606:2800:220:1::1'], strict),
    ).toMatchObject({ allowed: true });
  });

  it.each([
    [['93.184.216.34', '127.0.0.1'], 'host a.example resolves to 127.0.0.1 is loopback'],
    [['169.254.169.254'], 'host a.example resolves to 169.254.169.254 is link-local'],
    [['::ffff:10.0.0.1'], 'host a.example resolves to ::ffff:a00:1 (embeds 10.0.0.1) is private'],
    [['0.0.0.0'], 'host a.example resolves to 0.0.0.0 is unspecified'],
    [[], 'host a.example resolved to no address'],
    [['not-an-ip'], 'host a.example resolved to an unreadable address'],
  ])('refuses %j', (addresses, reason) => {
    expect(checkResolvedAddresses('a.example', addresses, strict)).toEqual({
      allowed: false,
      reason,
    });
  });
});

describe('hostMatchesPattern', () => {
  const host = (h: string) => normaliseHost(new URL(`http://${h}/`).hostname)!;
  it.each([
    ['a.example.com', '*.example.com', true],
    ['a.b.example.com', '*.example.com', true],
    ['example.com', '*.example.com', false],
    ['evilexample.com', '*.example.com', false],
    ['example.com.evil.com', 'example.com', false],
    ['example.com', 'EXAMPLE.COM.', true],
    ['127.0.0.1', '2130706433', true],
    ['[::1]', '[::1]', true],
    ['[::1]', '0:0:0:0:0:0:0:1', true],
    ['127.0.0.1', '*.0.0.1', false],
    ['a.example.com', 'a.*.com', false],
    ['a.example.com', '*', false],
  ])('%s vs %s: %s', (h, pattern, expected) =>
    expect(hostMatchesPattern(host(h), pattern)).toBe(expected),
  );
});
