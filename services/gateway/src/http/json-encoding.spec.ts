import { jsonEncodingRefusal } from './json-encoding.js';

type Encoding = 'UTF-16LE' | 'UTF-16BE' | 'UTF-32LE' | 'UTF-32BE';

/** `text` (code points below U+10000) in `encoding`, without a byte order mark unless it has one. */
function encoded(text: string, encoding: Encoding): Buffer {
  const width = encoding.startsWith('UTF-16') ? 2 : 4;
  const units = [...text].map((c) => c.codePointAt(0) ?? 0);
  const bytes = Buffer.alloc(units.length * width);
  units.forEach((unit, i) => bytes.writeUIntBE(unit, i * width, width));
  if (encoding.endsWith('LE')) return width === 2 ? bytes.swap16() : bytes.swap32();
  return bytes;
}

describe('jsonEncodingRefusal', () => {
  it.each<Encoding>(['UTF-16LE', 'UTF-16BE', 'UTF-32LE', 'UTF-32BE'])(
    'names %s, with its byte order mark or without, and says to send UTF-8',
    (encoding) => {
      for (const text of ['\uFEFF{"a":1}', '{"a":1}', ' []', '5'])
        expect(jsonEncodingRefusal(encoded(text, encoding))?.message).toBe(
          `the JSON body is in ${encoding}: send it in UTF-8 (RFC 8259 §8.1)`,
        );
    },
  );

  it.each([
    ['latin1 text', Buffer.from('{"name":"caf\xe9"}', 'latin1')],
    ['an overlong encoding of "."', Buffer.from([0x7b, 0x22, 0xc0, 0xae, 0x22, 0x3a, 0x31, 0x7d])],
    ['an encoded surrogate', Buffer.from([0x5b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x5d])],
    ['a sequence cut off at the end', Buffer.from([0x5b, 0x22, 0xe2, 0x82])],
  ])('refuses %s: bytes that are not UTF-8 are not read as U+FFFD', (_what, bytes) => {
    expect(jsonEncodingRefusal(bytes)?.message).toBe(
      'the JSON body is not valid UTF-8: send it in UTF-8 (RFC 8259 §8.1), not latin1 or another encoding',
    );
  });

  it('takes UTF-8 without a byte order mark, non-ASCII text and short bodies included', () => {
    for (const text of ['{"a":"é😀"}', '[]', '{', '', ' '])
      expect(jsonEncodingRefusal(Buffer.from(text))).toBeNull();
  });
});
