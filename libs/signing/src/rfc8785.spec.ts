import { canonicalJsonBytes, canonicalManifestBytes } from './canonical-json.js';
import { parseManifestText } from './parse-manifest-text.js';

// Vectors copied from the text of RFC 8785 (JSON Canonicalization Scheme, June 2020); each
// test names the section it comes from. Inputs go through parseManifestText, as plugin.json does.

const canonicalText = (value: unknown) => new TextDecoder().decode(canonicalJsonBytes(value));
const parsed = (text: string): unknown => {
  const result = parseManifestText(text);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
};
const hexBytes = (hex: string) => Uint8Array.from(hex.trim().split(/\s+/), (h) => parseInt(h, 16));
const double = (ieee754: string) =>
  new DataView(hexBytes(ieee754.replace(/(..)/g, '$1 ')).buffer).getFloat64(0);

describe('RFC 8785 §3.2.2 to §3.2.4: the sample object', () => {
  // §3.2.2, the JSON object "parsed" (the RFC wraps the numbers line for display only).
  const input = String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50,
                2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`;

  it('canonicalises to the text of §3.2.3', () => {
    expect(canonicalText(parsed(input))).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it('gives the UTF-8 bytes of §3.2.4', () => {
    const expected = hexBytes(`
      7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
      75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
      5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
      65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
      5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
      30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d`);
    expect(canonicalJsonBytes(parsed(input))).toEqual(expected);
  });
});

describe('RFC 8785 §3.2.3: sorting of object properties by UTF-16 code units', () => {
  // §3.2.3, "The following JSON test data can be used for verifying the correctness of the
  // sorting scheme", and the "Expected argument order after sorting property strings".
  const input = String.raw`{
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  }`;
  const expectedOrder = [
    'Carriage Return',
    'One',
    'Control',
    'Latin Small Letter O With Diaeresis',
    'Euro Sign',
    'Emoji: Grinning Face',
    'Hebrew Letter Dalet With Dagesh',
  ];

  it('orders the members as the RFC expects, the non-BMP key before U+FB33', () => {
    const text = canonicalText(parsed(input));
    const positions = expectedOrder.map((value) => text.indexOf(`"${value}"`));
    expect(positions.every((at) => at > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('is not the order localeCompare gives (the sort the issue warns about)', () => {
    const object = parsed(input) as Record<string, string>;
    const byLocale = Object.keys(object)
      .sort((a, b) => a.localeCompare(b))
      .map((key) => object[key]);
    expect(byLocale).not.toEqual(expectedOrder);
  });

  it('sorts "", "a", "aa", "ab" as the RFC spells out', () => {
    expect(canonicalText({ ab: 4, aa: 3, a: 2, '': 1 })).toBe('{"":1,"a":2,"aa":3,"ab":4}');
  });
});

describe('RFC 8785 Appendix B: number serialization samples (Table 1)', () => {
  // Every row of Table 1: the IEEE 754 double in hex, and its JSON representation.
  const rows: [ieee754: string, json: string, comment: string][] = [
    ['0000000000000000', '0', 'Zero'],
    ['8000000000000000', '0', 'Minus zero'],
    ['0000000000000001', '5e-324', 'Min pos number'],
    ['8000000000000001', '-5e-324', 'Min neg number'],
    ['7fefffffffffffff', '1.7976931348623157e+308', 'Max pos number'],
    ['ffefffffffffffff', '-1.7976931348623157e+308', 'Max neg number'],
    ['4340000000000000', '9007199254740992', 'Max pos int (1)'],
    ['c340000000000000', '-9007199254740992', 'Max neg int (1)'],
    ['4430000000000000', '295147905179352830000', '~2**68 (2)'],
    ['44b52d02c7e14af5', '9.999999999999997e+22', ''],
    ['44b52d02c7e14af6', '1e+23', ''],
    ['44b52d02c7e14af7', '1.0000000000000001e+23', ''],
    ['444b1ae4d6e2ef4e', '999999999999999700000', ''],
    ['444b1ae4d6e2ef4f', '999999999999999900000', ''],
    ['444b1ae4d6e2ef50', '1e+21', ''],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7', ''],
    ['3eb0c6f7a0b5ed8d', '0.000001', ''],
    ['41b3de4355555553', '333333333.3333332', ''],
    ['41b3de4355555554', '333333333.33333325', ''],
    ['41b3de4355555555', '333333333.3333333', ''],
    ['41b3de4355555556', '333333333.3333334', ''],
    ['41b3de4355555557', '333333333.33333343', ''],
    ['becbf647612f3696', '-0.0000033333333333333333', ''],
    ['43143ff3c1cb0959', '1424953923781206.2', 'Round to even (4)'],
  ];

  it.each(rows)('serialises %s as %s %s', (ieee754, json) => {
    expect(canonicalText(double(ieee754))).toBe(json);
    expect(canonicalText([double(ieee754)])).toBe(`[${json}]`);
  });

  // Table 1 rows NaN (3) and Infinity (3): "Values out of range are not permitted in JSON", and
  // §3.2.2.3: they "MUST cause a compliant JCS implementation to terminate with an appropriate error".
  it.each([
    ['7fffffffffffffff', 'NaN'],
    ['7ff0000000000000', 'Infinity'],
  ])('refuses %s (%s) with manifest_invalid_json', (ieee754) => {
    expect(() => canonicalJsonBytes({ n: double(ieee754) })).toThrow(
      expect.objectContaining({ code: 'manifest_invalid_json', path: '/n' }),
    );
  });

  // The parse side of each row. An integer written without fraction or exponent beyond
  // ±(2^53 - 1) is refused on input (I-JSON, RFC 7493 §2.2, which §3.1 requires; note (1) of the
  // table): JSON.parse would round 9007199254740993 to the 9007199254740992 of row 7.
  const integerBeyondSafe = (json: string) =>
    /^-?\d+$/.test(json) && !Number.isSafeInteger(Number(json));

  it('reads each JSON column back to the same double', () => {
    for (const [ieee754, json] of rows.filter(([, json]) => !integerBeyondSafe(json)))
      expect(parsed(`[${json}]`)).toEqual([ieee754 === '8000000000000000' ? 0 : double(ieee754)]);
  });

  it.each(rows.filter(([, json]) => integerBeyondSafe(json)))(
    'refuses %s written as the integer %s on input, with manifest_unsafe_number',
    (_ieee754, json) => {
      expect(parseManifestText(`[${json}]`)).toMatchObject({
        ok: false,
        code: 'manifest_unsafe_number',
        path: '/0',
      });
    },
  );
});

describe('numbers next to the RFC table', () => {
  it('writes 1e-7 with an exponent and 0.000001 without (ECMA-262 Number::toString, which §3.2.2.3 adopts)', () => {
    expect(canonicalText([1e-7, 0.000001, 1e21, 1e20])).toBe(
      '[1e-7,0.000001,1e+21,100000000000000000000]',
    );
  });

  it('writes -0 as 0 (Table 1, "Minus zero")', () => {
    expect(canonicalText(parsed('{"a":-0,"b":-0.0}'))).toBe('{"a":0,"b":0}');
  });

  it('refuses the integer 9007199254740993, which a double cannot hold (Table 1 note (1); I-JSON, RFC 7493 §2.2)', () => {
    expect(parseManifestText('{"limits":{"fuel":9007199254740993}}')).toMatchObject({
      ok: false,
      code: 'manifest_unsafe_number',
      path: '/limits/fuel',
    });
    // What JSON.parse and a canonicaliser alone would silently do instead.
    expect(canonicalText(JSON.parse('[9007199254740993]'))).toBe('[9007199254740992]');
  });
});

describe('RFC 8785 Appendices C and E: canonical forms of the sample records', () => {
  it('orders the address record of Appendix C as "address", "city", "name", "state", "zip"', () => {
    const record = parsed(`{
      "name": "John Doe",
      "address": "2000 Sunset Boulevard",
      "city": "Los Angeles",
      "zip": "90001",
      "state": "CA"
    }`);
    expect(Object.keys(JSON.parse(canonicalText(record)) as object)).toEqual([
      'address',
      'city',
      'name',
      'state',
      'zip',
    ]);
  });

  it('keeps string subtypes as strings (Appendix E)', () => {
    const object = parsed('{"time": "2019-01-28T07:45:10Z", "big": "055", "val": 3.5}');
    expect(canonicalText(object)).toBe('{"big":"055","time":"2019-01-28T07:45:10Z","val":3.5}');
  });
});

describe('canonicalManifestBytes', () => {
  it('leaves out signing.signature and nothing else', () => {
    const manifest = { b: 1, signing: { signature: 'x', signer_id: 'me', sha256: 'ab' }, a: [1] };
    expect(new TextDecoder().decode(canonicalManifestBytes(manifest))).toBe(
      '{"a":[1],"b":1,"signing":{"sha256":"ab","signer_id":"me"}}',
    );
    expect(manifest.signing.signature).toBe('x');
  });

  it('gives the same bytes for texts that differ only in whitespace and key order', () => {
    const one = parsed('{"id":"p","signing":{"sha256":"ab","signer_id":"me"},"n":[1,2]}');
    const two = parsed(
      ' {\n "n" : [ 1 , 2.0 ] ,\n\t"signing":{"signer_id":"me","sha256":"ab"}, "id":"p"}',
    );
    expect(canonicalManifestBytes(two)).toEqual(canonicalManifestBytes(one));
  });

  it('refuses what is not a JSON object', () => {
    for (const value of [null, [], 'text', 1])
      expect(() => canonicalManifestBytes(value)).toThrow(
        expect.objectContaining({ code: 'manifest_invalid_json' }),
      );
  });
});
