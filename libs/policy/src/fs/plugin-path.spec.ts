import {
  describePluginValue,
  isForbiddenPath,
  isWithinRoot,
  parsePluginPath,
} from './plugin-path.js';

describe('parsePluginPath', () => {
  it.each([
    ['/data/a.txt', '/data/a.txt'],
    ['//etc//passwd', '/etc/passwd'], // POSIX leading `//`: canonicalised, then checked like any path
    ['/data/./a.txt', '/data/a.txt'],
    ['/data/', '/data'],
    ['/', '/'],
    ['/data/%2e%2e/etc/passwd', '/data/%2e%2e/etc/passwd'], // not decoded: a literal name inside /data
    ['/data/..%2f..%2fetc', '/data/..%2f..%2fetc'],
    ['/data/．．/etc', '/data/．．/etc'], // full-width dots are a name, not a parent reference
    ['/data/😀.txt', '/data/😀.txt'], // a surrogate pair is one character
  ])('accepts %j as %j', (raw, canonical) => {
    expect(parsePluginPath(raw)).toEqual({ ok: true, value: canonical });
  });

  it.each([
    ['../../etc/passwd', 'absolute'],
    ['data/a.txt', 'absolute'],
    ['/data/../etc/passwd', '".."'],
    ['/data/../../etc/passwd', '".."'],
    ['/data/a/..', '".."'],
    ['/data/a.txt\u0000.png', 'NUL'],
    ['/data/a\nforged log line', 'control'],
    ['/data\\..\\etc\\passwd', 'backslash'],
    ['C:\\Windows', 'backslash'],
    ['', 'non-empty'],
    ['/' + 'a'.repeat(5000), 'too long'],
    // Invalid UTF-8 kept by the host-call decoder, and JSON-escaped lone surrogates: Node would
    // open the U+FFFD name instead.
    ['/data/a\udcff', 'well-formed'],
    ['/data/a\ud800b', 'well-formed'],
  ])('refuses %j (%s)', (raw, reason) => {
    const result = parsePluginPath(raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });

  it.each([[42], [null], [undefined], [{ path: '/x' }], [['/x']]])(
    'refuses non-strings: %j',
    (raw) => {
      expect(parsePluginPath(raw).ok).toBe(false);
    },
  );
});

describe('isWithinRoot', () => {
  it.each([
    ['/allowed', '/allowed', true],
    ['/allowed', '/allowed/a/b', true],
    ['/allowed', '/allowed-evil', false], // prefix confusion
    ['/allowed', '/allowed-evil/x', false],
    ['/allowed', '/allowedx', false],
    ['/allowed', '/', false],
    ['/allowed/sub', '/allowed', false],
    ['/', '/etc/passwd', true],
  ])('root %j contains %j: %j', (root, candidate, expected) => {
    expect(isWithinRoot(root, candidate)).toBe(expected);
  });
});

describe('isForbiddenPath', () => {
  it.each([
    ['/proc/self/environ', true],
    ['/proc', true],
    ['/sys/kernel', true],
    ['/dev/zero', true],
    ['/dev/fd/0', true],
    ['/devices', false],
    ['/processes/x', false],
    ['/data', false],
  ])('%j: %j', (path, expected) => expect(isForbiddenPath(path)).toBe(expected));
});

describe('describePluginValue', () => {
  it('escapes control characters and caps the length', () => {
    expect(describePluginValue('/a\u0000b\n')).toBe('/a\\u0000b\\u000a');
    expect(describePluginValue('x'.repeat(2000)).length).toBe(1025);
    expect(describePluginValue(42)).toBe('42');
  });

  it('names a value nested too deep to write out, where JSON.stringify would overflow the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(describePluginValue(deep)).toBe('(a JSON value nested deeper than 32 levels)');
    expect(describePluginValue({ a: [[1]] })).toBe('{"a":[[1]]}');
  });
});
