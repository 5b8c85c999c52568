import { pathMatchesPrefix } from './path.js';

describe('pathMatchesPrefix matches whole segments of the once-decoded path', () => {
  it.each([
    ['/api', '/api', true],
    ['/api/', '/api', true],
    ['/api/v1', '/api', true],
    ['/apix', '/api', false],
    ['/ap', '/api', false],
    ['/API', '/api', false],
    ['/api/v1', '/api/', true],
    ['/api', '/api/', false],
    ['/%61pi/v1', '/api', true],
    ['/api%2Fv1', '/api', true],
    ['/api/..%2fadmin', '/api', false],
    ['/api/%2e%2e/admin', '/api', false],
    ['/api/..;/admin', '/api', false],
    ['/api/.;/x', '/api', false],
    ['/api/..%5cadmin', '/api', false],
    ['/api/%0d%0aHost:x', '/api', false],
    ['/api/%', '/api', false],
    ['/v1/a b', '/v1/a%20b', true],
  ])('%s under %s: %s', (path, prefix, expected) =>
    expect(pathMatchesPrefix(path, prefix)).toBe(expected),
  );
});
