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

  it('keeps headers named like members of Object as data, and joins names differing in case', () => {
    // As a plugin's JSON arrives: JSON.parse makes `__proto__` a member like any other.
    const headers = JSON.parse(
      '{"__proto__":"p","Constructor":"c","toString":"t","hasOwnProperty":"h","X-Dup":"1","x-dup":"2"}',
    ) as Record<string, unknown>;
    const result = sanitiseRequestHeaders(headers);
    if (!result.ok) throw new Error(result.reason);
    expect(Object.entries(result.value.headers)).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['tostring', 't'],
      ['hasownproperty', 'h'],
      ['x-dup', '1, 2'],
    ]);
    expect(result.value.bytes).toBe(
      Object.entries(headers).reduce((sum, [n, v]) => sum + n.length + String(v).length + 4, 0),
    );
  });

  it('answers nothing for a header the plugin did not set, whatever its name', () => {
    const result = sanitiseRequestHeaders({ Accept: '*/*' });
    if (!result.ok) throw new Error(result.reason);
    for (const name of ['constructor', 'toString', '__proto__', 'valueOf'])
      expect(result.value.headers[name]).toBeUndefined();
  });

  it.each([
    [{ 'X-A': 'a\r\nHost: evil' }, 'header X-A has a control character'],
    [{ 'X-A': 'a\nb' }, 'header X-A has a control character'],
    [{ 'X-A': 'a\u0000' }, 'header X-A has a control character'],
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
