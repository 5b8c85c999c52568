import { reencodedPathRefusal, REENCODED_PATH } from './reencoded-path.js';

describe('reencodedPathRefusal: what a second (or later) percent-decoding would turn a path into', () => {
  it.each([
    // dot segments, lower and upper case hex, whole or half encoded
    '/api/%252e%252e/admin',
    '/api/%252E%252E/admin',
    '/api/%252e./admin',
    '/api/.%252E/admin',
    '/api/%252e/admin',
    '/%252e%252e',
    '/api/%252e%252e;jsessionid=x/admin',
    // slashes and backslashes
    '/api/..%252fadmin',
    '/api/..%252Fadmin',
    '/api/%252fadmin',
    '/api/..%255cadmin',
    '/api/..%255Cadmin',
    '/api/%255c..%255cadmin',
    // NUL and other control characters
    '/api/file%2500.txt',
    '/api/%250d%250aHost:%2520evil',
    '/api/%257f',
    // the percent or the hex digits encoded on their own
    '/api/%25%32%65%25%32%65/admin',
    '/api/%25%32e%25%32E/admin',
    '/api/%25%32%66admin',
    '/api/%%32%65%%32%65/admin',
    // three and more encodings
    '/api/%25252e%25252e/admin',
    '/api/%25252fadmin',
    '/api/%2525252e%2525252e/admin',
    '/api/%2525255cadmin',
  ])('refuses %s', (path) => expect(reencodedPathRefusal(path)).toBe(REENCODED_PATH));

  it.each([
    '/',
    '/api/v1/items',
    '/api/%2e%2e-not-a-segment',
    '/api/..%2fadmin', // decoded once only: a prefix rule judges that
    '/files/100%25',
    '/files/100%25off',
    '/files/%25zz',
    '/files/%252',
    '/files/%25',
    '/files/report%252ejson',
    '/files/%2541',
    '/files/a%2520b',
    '/wiki/%25E2%2582%25AC',
  ])('keeps %s', (path) => expect(reencodedPathRefusal(path)).toBeNull());

  it('refuses a path encoded more times than any client does', () => {
    expect(reencodedPathRefusal(`/api/%25${'25'.repeat(8)}41`)).toMatch(/encoded more than/);
  });
});
