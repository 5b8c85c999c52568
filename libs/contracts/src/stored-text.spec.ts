import {
  escapeAuditJson,
  escapeAuditText,
  hasUnstorableCharacters,
  unescapeAuditText,
  unstorableCharacters,
} from './stored-text.js';

describe('escapeAuditText', () => {
  it.each([
    ['plain text', '/etc/passwd', '/etc/passwd'],
    ['a valid surrogate pair (emoji)', 'hi 😀', 'hi 😀'],
    ['NUL', 'a\u0000b', 'a\\u0000b'],
    ['a lone high surrogate', '/etc/\ud800', '/etc/\\ud800'],
    ['a lone low surrogate', '\udc00x', '\\udc00x'],
    ['a high surrogate before a high surrogate and a pair', '\ud800\ud83d\ude00', '\\ud800😀'],
    ['terminal escapes, newline, tab', '\u001b[31m\n\t', '\\u001b[31m\\u000a\\u0009'],
    ['DEL and C1 controls', '\u007f\u0085\u009b', '\\u007f\\u0085\\u009b'],
    ['line and paragraph separators', 'a\u2028b\u2029', 'a\\u2028b\\u2029'],
    ['bidi overrides and isolates', '\u202egnp.exe\u2066\u2069', '\\u202egnp.exe\\u2066\\u2069'],
    ['marks and joiners, which reorder nothing', 'a\u200f\u200db', 'a\u200f\u200db'],
    ['a backslash', 'C:\\x', 'C:\\\\x'],
    ['text that looks like an escape', '\\u0000', '\\\\u0000'],
  ])('escapes %s', (_what, original, stored) => {
    expect(escapeAuditText(original)).toBe(stored);
    expect(hasUnstorableCharacters(escapeAuditText(original))).toBe(false);
    expect(unescapeAuditText(stored)).toBe(original);
  });

  it('gives every string of all code units back unchanged after a round trip', () => {
    const all = Array.from({ length: 0x10000 }, (_, u) => String.fromCharCode(u)).join('');
    for (const text of [all, [...all].reverse().join(''), `\\${all}\\\\u`])
      expect(unescapeAuditText(escapeAuditText(text))).toBe(text);
  });
});

describe('escapeAuditJson', () => {
  it('escapes every string and every key, and keeps numbers, booleans and null', () => {
    expect(
      escapeAuditJson({ 'k\u0000': ['\ud800', 1, true, null, { n: 'a\\b' }], ok: 'ok' }),
    ).toEqual({ 'k\\u0000': ['\\ud800', 1, true, null, { n: 'a\\\\b' }], ok: 'ok' });
  });
});

describe('unstorableCharacters', () => {
  it('names each string and key holding NUL or a lone surrogate by its JSON pointer', () => {
    expect(
      unstorableCharacters({
        name: 'ok 😀',
        'a/b\u0000': { list: ['fine', '\udfff'] },
        control: '\u001b is storable',
      }),
    ).toEqual([
      expect.objectContaining({ code: 'invalid_characters', path: '/a~1b\\u0000' }),
      expect.objectContaining({ code: 'invalid_characters', path: '/a~1b\\u0000/list/1' }),
    ]);
  });

  it('finds nothing in a clean value, and reports a bare string at /', () => {
    expect(unstorableCharacters({ a: [1, 'x', null] })).toEqual([]);
    expect(unstorableCharacters('\u0000')).toEqual([expect.objectContaining({ path: '/' })]);
  });
});
