import { pathAmbiguity, pathMatchesPrefix } from './path.js';

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
    // A second decoding would change these (a proxy or framework that decodes again).
    ['/api/%252e%252e/admin', '/api', false],
    ['/api/%252E%252E/admin', '/api', false],
    ['/api/%252e%252e%252fadmin', '/api', false],
    ['/api/..%252fadmin', '/api', false],
    ['/api/%252fadmin', '/api', false],
    ['/api/%255cadmin', '/api', false],
    ['/api/%255Cadmin', '/api', false],
    ['/api/%2500', '/api', false],
    ['/api/%25%32%65%25%32%65/admin', '/api', false],
    ['/api/%25%32e%25%32e/admin', '/api', false],
    ['/api/%2525', '/api', false],
    ['/api/%2541', '/api', false],
    ['/%2561pi/x', '/api', false],
    ['/api/%25E2%2582%25AC', '/api', false],
    // A lone percent sign, once decoded, is not an encoding: a second decoding cannot change it.
    ['/api/100%25', '/api', true],
    ['/api/100%25off', '/api', true],
    ['/api/%25zz', '/api', true],
    ['/api/%252', '/api', true],
  ])('%s under %s: %s', (path, prefix, expected) =>
    expect(pathMatchesPrefix(path, prefix)).toBe(expected),
  );
});

describe('pathAmbiguity says why a path is refused', () => {
  const twice = 'path has %25 followed by hex digits: a second percent-decoding would change it';
  const dots = 'path has dot segments, backslashes or control characters once decoded';
  it.each([
    ['/api/v1', null],
    ['/api/100%25', null],
    ['/api/%zz', 'path has malformed percent-encoding'],
    ['/api/..%2fadmin', dots],
    ['/api/%252e%252e/admin', twice],
    ['/api/%252fadmin', twice],
    ['/api/%255cadmin', twice],
    ['/api/%25%32%65%25%32%65/admin', twice],
    ['/api/%2541', twice],
  ])('%s: %s', (path, reason) => expect(pathAmbiguity(path)).toBe(reason));
});
