import { validateHeaderName, validateHeaderValue } from 'node:http';
import { headersForRedirect, sanitiseRequestHeaders } from './headers.js';

describe('sanitiseRequestHeaders', () => {
  it('drops the headers the host owns and keeps the rest, lowercased', () => {
    const result = sanitiseRequestHeaders({
      Host: 'internal.admin',
      Connection: 'close',
      'Transfer-Encoding': 'chunked',
      'Content-Length': '0',
      'Proxy-Authorization': 'Basic x',
      'Proxy-Connection': 'keep-alive',
      TE: 'trailers',
      Upgrade: 'h2c',
      Expect: '100-continue',
      'X-Forwarded-For': '127.0.0.1',
      Authorization: 'Bearer t',
      Accept: 'application/json',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        headers: { authorization: 'Bearer t', accept: 'application/json' },
        bytes:
          'authorization'.length +
          'Bearer t'.length +
          4 +
          'accept'.length +
          'application/json'.length +
          4,
      },
    });
  });

  it('keeps headers named like members of Object as data', () => {
    // As a plugin's JSON arrives: JSON.parse makes `__proto__` a member like any other.
    const headers = JSON.parse(
      '{"__proto__":"p","Constructor":"c","toString":"t","hasOwnProperty":"h"}',
    ) as Record<string, unknown>;
    const result = sanitiseRequestHeaders(headers);
    if (!result.ok) throw new Error(result.reason);
    expect(Object.entries(result.value.headers)).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['tostring', 't'],
      ['hasownproperty', 'h'],
    ]);
  });

  it('answers nothing for a header the plugin did not set, whatever its name', () => {
    const result = sanitiseRequestHeaders({ Accept: '*/*' });
    if (!result.ok) throw new Error(result.reason);
    for (const name of ['constructor', 'toString', '__proto__', 'valueOf'])
      expect(result.value.headers[name]).toBeUndefined();
  });

  it.each([
    [{ 'Bad Name': 'x' }, 'header name "Bad Name" is invalid'],
    [{ 'X-A:': 'x' }, 'header name "X-A:" is invalid'],
    [{ 'X-A': 1 }, 'header X-A must be a string'],
  ])('refuses header smuggling %j', (headers, reason) => {
    expect(sanitiseRequestHeaders(headers as Record<string, unknown>)).toEqual({
      ok: false,
      reason,
    });
  });
});

describe('sanitiseRequestHeaders: the characters a value may hold', () => {
  const refused = (codePoint: string) =>
    `header X-A has ${codePoint}; a header value holds only tab, space, visible ASCII and U+0080 to U+00FF`;

  // Node's http client throws (ERR_INVALID_CHAR) on these inside the request, after the name
  // was resolved: the check must refuse them first, with a reason naming the header.
  it.each([
    ['a\r\nHost: evil', 'U+000D'],
    ['a\nb', 'U+000A'],
    ['a\u0000', 'U+0000'],
    ['\u0001', 'U+0001'],
    ['\u001f', 'U+001F'],
    ['\u007f', 'U+007F'],
    ['\u0100', 'U+0100'],
    ['ok \u2028', 'U+2028'],
    ['\uffff', 'U+FFFF'],
    ['\ud800', 'U+D800'],
    ['a\udc00b', 'U+DC00'],
    ['\udc00\ud800', 'U+DC00'],
    ['\u{1F600}', 'U+1F600'],
    ['caf\u00e9 \u{10FFFF}', 'U+10FFFF'],
  ])('refuses the value %j, naming %s', (value, codePoint) => {
    expect(sanitiseRequestHeaders({ 'X-A': value, Accept: '*/*' })).toEqual({
      ok: false,
      reason: refused(codePoint),
    });
  });

  it.each(['\t', ' ', '~', '\u0080', '\u0085', '\u00a0', '\u00ff', '\tcaf\u00e9 \u00ff\t', ''])(
    'keeps the value %j as written',
    (value) => {
      expect(sanitiseRequestHeaders({ 'X-A': value })).toMatchObject({
        ok: true,
        value: { headers: { 'x-a': value } },
      });
    },
  );

  // Every class around its edges: C0 controls, DEL, obs-text and the first character past it,
  // line and paragraph separators, both ends of the surrogates, the BMP's end, astral characters.
  const EDGES = [
    ...Array.from({ length: 0x180 }, (_, unit) => String.fromCharCode(unit)),
    ...[0x2028, 0x2029, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfeff, 0xfffd, 0xffff].map(
      (unit) => String.fromCharCode(unit),
    ),
    '\u{10000}',
    '\u{1F600}',
    '\u{10FFFF}',
    '\udc00\ud800',
  ];

  it("refuses exactly the names and values Node's http client refuses", () => {
    const nodeRefuses = (check: () => void) => {
      try {
        check();
        return false;
      } catch {
        return true;
      }
    };
    const disagreements: string[] = [];
    for (const character of EDGES) {
      const text = `a${character}b`;
      const shown = JSON.stringify(character);
      const value = sanitiseRequestHeaders({ 'X-A': text });
      if (value.ok === nodeRefuses(() => validateHeaderValue('X-A', text)))
        disagreements.push(`value ${shown}`);
      const name = sanitiseRequestHeaders({ [text]: 'v' });
      if (name.ok === nodeRefuses(() => validateHeaderName(text)))
        disagreements.push(`name ${shown}`);
    }
    expect(disagreements).toEqual([]);
  });
});

describe('sanitiseRequestHeaders: a name written in several cases', () => {
  it('sends Cookie once, its pairs joined with "; " (RFC 6265 §5.4)', () => {
    expect(
      sanitiseRequestHeaders({ Cookie: 'a=1', cookie: 'b=2; c=3', COOKIE: 'd=4' }),
    ).toMatchObject({ ok: true, value: { headers: { cookie: 'a=1; b=2; c=3; d=4' } } });
  });

  it.each([
    ['Accept', 'accept'],
    ['Accept-Encoding', 'accept-encoding'],
    ['Accept-Language', 'ACCEPT-LANGUAGE'],
    ['Cache-Control', 'cache-control'],
    ['If-None-Match', 'if-none-match'],
  ])('joins the list header %s and %s with ", " (RFC 9110 §5.3)', (first, second) => {
    expect(sanitiseRequestHeaders({ [first]: 'x', [second]: 'y' })).toMatchObject({
      ok: true,
      value: { headers: { [first.toLowerCase()]: 'x, y' } },
    });
  });

  // Joined, these would change meaning (`Tue, 01 Jan ...` dates, credentials, ranges) or are
  // not lists at all (Set-Cookie); an extension header's definition is unknown.
  it.each([
    ['Authorization', 'authorization'],
    ['Set-Cookie', 'set-cookie'],
    ['If-Modified-Since', 'if-modified-since'],
    ['Range', 'RANGE'],
    ['Content-Type', 'content-type'],
    ['User-Agent', 'user-agent'],
    ['X-Dup', 'x-dup'],
  ])('refuses %s given again as %s', (first, second) => {
    expect(sanitiseRequestHeaders({ [first]: 'x', Accept: '*/*', [second]: 'y' })).toEqual({
      ok: false,
      reason: `header ${second} repeats ${first}; only Cookie and list headers may be given in several cases`,
    });
  });

  it('drops a header the host owns in every case it is written', () => {
    expect(sanitiseRequestHeaders({ Host: 'a', host: 'b', Accept: '*/*' })).toMatchObject({
      ok: true,
      value: { headers: { accept: '*/*' } },
    });
  });
});

describe('sanitiseRequestHeaders: bytes', () => {
  it('counts each line as sent: name, ": ", value, CRLF, one byte a character', () => {
    const result = sanitiseRequestHeaders({
      Cookie: 'a=1',
      'X-Latin': '\u00ff\tcaf\u00e9',
      cookie: 'b=2',
      Accept: 'text/plain',
      accept: '*/*',
    });
    if (!result.ok) throw new Error(result.reason);
    const sent = 'cookie: a=1; b=2\r\nx-latin: \u00ff\tcaf\u00e9\r\naccept: text/plain, */*\r\n';
    expect(
      Object.entries(result.value.headers)
        .map(([n, v]) => `${n}: ${v}\r\n`)
        .join(''),
    ).toBe(sent);
    expect(result.value.bytes).toBe(Buffer.byteLength(sent, 'latin1'));
    expect(result.value.bytes).toBe(60);
  });
});

describe('headersForRedirect', () => {
  const headers = {
    authorization: 'Bearer t',
    cookie: 'a=b',
    'content-type': 'text/plain',
    accept: '*/*',
  };

  it('keeps every header on the same origin', () => {
    const all = { ...headers, 'x-api-key': 'k', 'x-custom-secret': 's' };
    expect(headersForRedirect(all, { crossOrigin: false, bodyDropped: false })).toEqual(all);
  });

  it('drops body headers with the body, on any origin', () => {
    expect(headersForRedirect(headers, { crossOrigin: false, bodyDropped: true })).toEqual({
      authorization: 'Bearer t',
      cookie: 'a=b',
      accept: '*/*',
    });
    expect(headersForRedirect(headers, { crossOrigin: true, bodyDropped: true })).toEqual({
      accept: '*/*',
    });
  });

  // Everything a plugin could carry a credential, a session or an identity in: named
  // credentials, vendor tokens, CSRF tokens, tracing ids, custom names and case variants.
  it.each([
    'authorization',
    'Authorization',
    'cookie',
    'COOKIE',
    'x-api-key',
    'X-Api-Key',
    'X-API-KEY',
    'api-key',
    'Api-Key',
    'apikey',
    'private-token',
    'PRIVATE-TOKEN',
    'x-auth-token',
    'X-Auth-Token',
    'x-goog-api-key',
    'X-Goog-Api-Key',
    'proxy-authorization',
    'Proxy-Authorization',
    'x-amz-security-token',
    'X-Amz-Security-Token',
    'x-amz-date',
    'x-csrf-token',
    'X-CSRF-Token',
    'x-xsrf-token',
    'x-access-token',
    'x-session-id',
    'x-vault-token',
    'x-shopify-access-token',
    'ocp-apim-subscription-key',
    'x-functions-key',
    'dd-api-key',
    'x-hub-signature-256',
    'x-client-cert',
    'x-ms-client-principal',
    'x-forwarded-user',
    'x-remote-user',
    'remote-user',
    'x-user-id',
    'x-my-company-thing',
    'token',
    'secret',
    'x',
    'origin',
    'referer',
    'traceparent',
    'x-request-id',
  ])('drops %s when the redirect leaves the origin', (name) => {
    const result = headersForRedirect(
      { [name]: 'secret-value', accept: 'application/json' },
      { crossOrigin: true, bodyDropped: false },
    );
    expect(result).toEqual({ accept: 'application/json' });
  });

  it.each([
    ['accept', 'application/json'],
    ['Accept', 'application/json'],
    ['accept-charset', 'utf-8'],
    ['accept-encoding', 'gzip'],
    ['accept-language', 'fr'],
    ['ACCEPT-LANGUAGE', 'fr'],
    ['user-agent', 'plugin/1.0'],
    ['cache-control', 'no-cache'],
    ['pragma', 'no-cache'],
    ['range', 'bytes=0-99'],
    ['if-match', '"v1"'],
    ['if-none-match', '"v1"'],
    ['if-modified-since', 'Tue, 01 Jan 2030 00:00:00 GMT'],
    ['if-unmodified-since', 'Tue, 01 Jan 2030 00:00:00 GMT'],
    ['if-range', '"v1"'],
    ['content-type', 'application/json'],
    ['Content-Type', 'application/json'],
    ['content-encoding', 'gzip'],
    ['content-language', 'fr'],
  ])('carries %s to another origin', (name, value) => {
    expect(
      headersForRedirect({ [name]: value }, { crossOrigin: true, bodyDropped: false }),
    ).toEqual({ [name]: value });
  });

  it('keeps no body header on another origin once the body is dropped', () => {
    expect(
      headersForRedirect(
        { 'Content-Type': 'a/b', 'content-encoding': 'gzip', 'content-language': 'fr' },
        { crossOrigin: true, bodyDropped: true },
      ),
    ).toEqual({});
  });

  it('carries headers named like members of Object as any other name', () => {
    const headers = JSON.parse(
      '{"__proto__":"p","constructor":"c","accept":"*/*","content-type":"a/b"}',
    ) as Record<string, string>;
    expect(
      Object.entries(headersForRedirect(headers, { crossOrigin: false, bodyDropped: true })),
    ).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['accept', '*/*'],
    ]);
    const crossed = headersForRedirect(headers, { crossOrigin: true, bodyDropped: false });
    expect(Object.entries(crossed)).toEqual([
      ['accept', '*/*'],
      ['content-type', 'a/b'],
    ]);
    expect(crossed['constructor']).toBeUndefined();
  });

  it('drops what sanitiseRequestHeaders lets through, whatever the case the plugin wrote', () => {
    const sanitised = sanitiseRequestHeaders({
      'X-Api-Key': 'k',
      'Private-Token': 'p',
      'X-Goog-Api-Key': 'g',
      'X-Amz-Security-Token': 'a',
      'My-Secret': 's',
      Accept: 'text/plain',
      'User-Agent': 'ua',
    });
    if (!sanitised.ok) throw new Error(sanitised.reason);
    expect(
      headersForRedirect(sanitised.value.headers, { crossOrigin: true, bodyDropped: false }),
    ).toEqual({ accept: 'text/plain', 'user-agent': 'ua' });
  });
});
