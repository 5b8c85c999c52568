import { unstorableCharacters } from '@convergio/contracts';
import { canonicalJsonBytes } from './canonical-json.js';
import { parseManifestText } from './parse-manifest-text.js';

const refused = (text: string | Uint8Array, options?: { maxDepth?: number }) => {
  const result = parseManifestText(text, options);
  if (result.ok) throw new Error('expected a refusal');
  return result;
};

describe('parseManifestText', () => {
  it('gives the value JSON.parse gives for a valid plugin.json, from text or bytes', () => {
    const text =
      '{"id":"example.greet","permissions":{"fs.read":{"paths":["/data"]}},"n":[1.5,-0,true,null]}';
    expect(parseManifestText(text)).toEqual({ ok: true, value: JSON.parse(text) });
    expect(parseManifestText(Buffer.from(text))).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it.each([
    ['an empty text', ''],
    ['a trailing comma', '{"a":1,}'],
    ['a comment', '{"a":1 /* note */}'],
    ['single quotes', "{'a':1}"],
    ['NaN', '{"a":NaN}'],
    ['two documents', '{} {}'],
    ['a raw control character in a string', '{"a":"x\ty"}'],
    ['a byte order mark', '\ufeff{}'],
  ])('refuses %s with manifest_invalid_json', (_what, text) => {
    expect(refused(text).code).toBe('manifest_invalid_json');
  });

  it('refuses bytes that are not UTF-8 rather than replacing them', () => {
    expect(
      refused(Uint8Array.of(0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d)),
    ).toMatchObject({
      code: 'manifest_invalid_json',
      message:
        'plugin.json is not valid UTF-8: save it as UTF-8 (not latin1, UTF-16 or another encoding)',
    });
  });

  it('refuses a byte order mark, in bytes or text, saying to remove it', () => {
    for (const input of [Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d), '\ufeff{}'])
      expect(refused(input)).toMatchObject({
        code: 'manifest_invalid_json',
        message: expect.stringContaining('starts with a byte order mark') as unknown,
      });
    expect(refused('\ufeff{}').message).toContain(': remove the byte order mark');
  });

  it('refuses UTF-16 saying to save it as UTF-8', () => {
    const utf16 = Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from('{}', 'utf16le')]);
    expect(refused(utf16).message).toBe(
      'plugin.json is not valid UTF-8 (it starts with a UTF-16 byte order mark): save it as UTF-8 without a byte order mark',
    );
  });

  describe('duplicate keys', () => {
    it.each([
      ['at the top', '{"id":"a","id":"b"}', '/id'],
      [
        'in a nested object',
        '{"permissions":{"fs.read":{"paths":["/a"]},"fs.read":{"paths":["/"]}}}',
        '/permissions/fs.read',
      ],
      [
        'in an object inside an array',
        '{"capabilities":{"tools":[{"name":"a"},{"name":"b","name":"c"}]}}',
        '/capabilities/tools/1/name',
      ],
      ['spelled differently: "a" and "\\u0061"', '{"x":{"a":1,"\\u0061":2}}', '/x/a'],
      ['that need escaping in a pointer', '{"a/b~c":1,"a\\/b~c":2}', '/a~1b~0c'],
      ['named __proto__', '{"__proto__":{},"__proto__":{"polluted":true}}', '/__proto__'],
      ['holding NUL (path printable)', '{"\\u0000":1,"\\u0000":2}', '/\\u0000'],
    ])(
      'are refused %s with manifest_duplicate_key and the pointer of the second',
      (_w, text, path) => {
        expect(refused(text)).toMatchObject({ code: 'manifest_duplicate_key', path });
      },
    );

    it('are refused although JSON.parse would keep the last one and the signature covers only that', () => {
      const text = '{"permissions":{"proc.exec":{"binaries":["/bin/sh"]}},"permissions":{}}';
      expect(JSON.parse(text)).toEqual({ permissions: {} });
      expect(refused(text).code).toBe('manifest_duplicate_key');
    });

    it('are not confused with equal keys in different objects', () => {
      expect(parseManifestText('{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":2}]}').ok).toBe(true);
    });
  });

  describe('__proto__', () => {
    it('is kept as data: no prototype is set and nothing is polluted', () => {
      const result = parseManifestText('{"__proto__":{"polluted":true},"a":{"__proto__":null}}');
      if (!result.ok) throw new Error(result.message);
      const value = result.value as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(true);
      expect(Object.keys(value)).toEqual(['__proto__', 'a']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(new TextDecoder().decode(canonicalJsonBytes(value))).toBe(
        '{"__proto__":{"polluted":true},"a":{"__proto__":null}}',
      );
    });
  });

  describe('characters no service could store (the gateway rule, invalid_characters)', () => {
    it.each([
      ['NUL in a value', '{"name":"a\\u0000b"}'],
      ['NUL in a key', '{"in\\u0000put":1}'],
      ['a lone high surrogate', '{"a":["x","\\ud800"]}'],
      ['a lone low surrogate in a key', '{"\\udc00":1}'],
      ['a reversed pair', '{"a":"\\udc00\\ud800"}'],
    ])('refuses %s, with the details and paths the gateway reports', (_what, text) => {
      const result = refused(text);
      expect(result.code).toBe('invalid_characters');
      expect(result.details).toEqual(unstorableCharacters(JSON.parse(text)));
      expect(result.path).toBe(result.details?.[0].path);
    });

    it('accepts a valid surrogate pair, escaped or not', () => {
      expect(parseManifestText('{"e":"\\ud83d\\ude00","f":"😀"}')).toEqual({
        ok: true,
        value: { e: '😀', f: '😀' },
      });
    });
  });

  describe('depth', () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

    it('accepts 512 levels and refuses 513 with manifest_too_deep', () => {
      expect(parseManifestText(nested(512)).ok).toBe(true);
      expect(refused(nested(513))).toMatchObject({ code: 'manifest_too_deep' });
    });

    it('refuses 100 000 levels without overflowing the stack', () => {
      expect(refused(nested(100_000)).code).toBe('manifest_too_deep');
      expect(refused('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)).code).toBe(
        'manifest_too_deep',
      );
    });

    it('takes a lower limit, as the gateway configures it', () => {
      expect(refused('{"a":{"b":[1]}}', { maxDepth: 2 })).toMatchObject({
        code: 'manifest_too_deep',
        path: '/a/b',
      });
    });
  });

  describe('numbers', () => {
    it.each([
      ['9007199254740993', 'an integer JSON.parse rounds to 9007199254740992'],
      ['-9007199254740993', 'its negative'],
      ['12345678901234567890', 'a 64-bit integer'],
      ['1e400', 'an overflow to Infinity'],
      ['-1E+400', 'an overflow to -Infinity'],
      ['1e-400', 'an underflow to 0'],
      [`0.${'0'.repeat(400)}1`, 'a long underflow'],
    ])('refuses %s (%s) with manifest_unsafe_number', (number) => {
      expect(refused(`{"limits":{"fuel":${number}}}`)).toMatchObject({
        code: 'manifest_unsafe_number',
        path: '/limits/fuel',
      });
    });

    it.each([
      '9007199254740991',
      '-9007199254740991',
      '0',
      '-0',
      '0e-400',
      '1E30',
      '333333333.33333329',
      '5e-324',
      '1.7976931348623157e308',
    ])('accepts %s', (number) => {
      expect(parseManifestText(`[${number}]`)).toEqual({ ok: true, value: [Number(number)] });
    });
  });

  describe('without a parse tree when nothing is wrong', () => {
    it.each([
      ['strings holding quotes, colons and braces', '{"a":"b\\":1,","c":"{\\"d\\": 2}:"}'],
      ['keys escaped alike in different objects', '{"k":{"k":1},"\\u006b2":[{"k":2}]}'],
      ['an array of 200,000 numbers', `{"a":[${Array(200_000).fill('1.5e3').join(',')}]}`],
      ['empty objects and strings', '{"":{},"x":[{}, "", {"":""}]}'],
    ])('accepts %s with the value JSON.parse gives', (_what, text) => {
      expect(parseManifestText(text)).toEqual({ ok: true, value: JSON.parse(text) });
    });

    it('still names a duplicate hidden behind escapes and one inside a string-rich object', () => {
      expect(parseManifestText('{"a":"\\":","\\u0061":1}')).toMatchObject({
        code: 'manifest_duplicate_key',
        path: '/a',
      });
      expect(parseManifestText('{"o":{"x":"y:","x":"z"},"p":1}')).toMatchObject({
        code: 'manifest_duplicate_key',
        path: '/o/x',
      });
    });
  });
});
