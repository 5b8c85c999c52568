import { decodeUtf8Escaped } from './utf8-escaped.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('decodeUtf8Escaped', () => {
  it('decodes valid UTF-8 as Node does, astral characters included', () => {
    const text = 'héllo, 世界 😀 \u0000';
    expect(decodeUtf8Escaped(Buffer.from(text))).toBe(text);
  });

  it('keeps each invalid byte apart, as U+DC00 + byte, where Buffer.toString merges them', () => {
    const ff = bytes('{"path":"/etc/a', [0xff], '"}');
    const fe = bytes('{"path":"/etc/a', [0xfe], '"}');
    expect(ff.toString('utf8')).toBe(fe.toString('utf8')); // the loss this replaces
    expect(JSON.parse(decodeUtf8Escaped(ff))).toEqual({ path: '/etc/a\udcff' });
    expect(JSON.parse(decodeUtf8Escaped(fe))).toEqual({ path: '/etc/a\udcfe' });
  });

  it.each([
    ['an overlong encoding', [0xc0, 0xae], '\udcc0\udcae'],
    ['a truncated sequence before ASCII', [0xe4, 0xb8, 0x41], '\udce4\udcb8A'],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], '\udced\udca0\udc80'],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '\udcf4\udc90\udc80\udc80'],
    ['a lone continuation byte', [0x80], '\udc80'],
  ])('escapes %s byte by byte', (_, input, expected) => {
    expect(decodeUtf8Escaped(bytes('a', input, 'b'))).toBe(`a${expected}b`);
  });

  it('decodes a range of the bytes, long inputs in pieces', () => {
    const long = bytes('x'.repeat(20_000), [0xff], '😀'.repeat(10_000));
    const text = decodeUtf8Escaped(long);
    expect(text).toBe(`${'x'.repeat(20_000)}\udcff${'😀'.repeat(10_000)}`);
    expect(decodeUtf8Escaped(bytes('ab', [0xff], 'cd'), 1, 4)).toBe('b\udcffc');
  });
});
