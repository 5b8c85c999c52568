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
      headers: { authorization: 'Bearer t', accept: 'application/json' },
      bytes:
        'authorization'.length +
        'Bearer t'.length +
        4 +
        'accept'.length +
        'application/json'.length +
        4,
    });
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

  it('keeps credentials on the same origin', () => {
    expect(headersForRedirect(headers, { crossOrigin: false, bodyDropped: false })).toEqual(
      headers,
    );
  });

  it('drops credentials when the redirect leaves the origin', () => {
    expect(headersForRedirect(headers, { crossOrigin: true, bodyDropped: false })).toEqual({
      'content-type': 'text/plain',
      accept: '*/*',
    });
  });

  it('drops body headers with the body', () => {
    expect(headersForRedirect(headers, { crossOrigin: false, bodyDropped: true })).toEqual({
      authorization: 'Bearer t',
      cookie: 'a=b',
      accept: '*/*',
    });
  });
});
