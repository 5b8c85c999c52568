import fc from 'fast-check';
import { asciiJsonEscaped, formEncoded, jsonEscaped, unicodeEscaped } from '@convergio/testing';
import { cutMarked } from './cut-mark.js';
import { MIN_CUT_PIECE, REDACTED, redactReleasedSecrets } from './released-secrets.js';

// The ways a released value travels in what a plugin builds (URLs, query strings, form and JSON
// bodies, headers, log lines) and what a hostile one tries next: each must come out redacted.

const PASS = 'horse battery!staple(9)';
const QUOTED = 'q"uo\\te-Secr3t-K7';
const UMLAUT = 'Pässwörd-ünd-€-7f';
const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';

const percentAll = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const htmlRefs = (s: string) => [...s].map((c) => `&#x${c.codePointAt(0)!.toString(16)};`).join('');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Encoders, each as a plugin may apply it to a value before it puts it somewhere. */
const ENCODERS: Record<string, (s: string) => string> = {
  raw: (s) => s,
  encodeURIComponent,
  encodeURI,
  'form (URLSearchParams)': formEncoded,
  'percent-encoded, every byte, upper-case hex': (s) => percentAll(s).toUpperCase(),
  'percent-encoded, every byte, lower-case hex': percentAll,
  'JSON string': jsonEscaped,
  'JSON, ASCII only': asciiJsonEscaped,
  'JSON \\u of every character': (s) => unicodeEscaped(s),
  'JSON \\u of every character, upper-case hex': (s) => unicodeEscaped(s, true),
  'JSON nested twice': (s) => jsonEscaped(jsonEscaped(s)),
  'JSON nested 4 deep': (s) => jsonEscaped(jsonEscaped(jsonEscaped(jsonEscaped(s)))),
  'HTML character references': htmlRefs,
  'JavaScript \\u{…} escapes': (s) =>
    [...s].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join(''),
  hex: (s) => Buffer.from(s, 'utf8').toString('hex'),
  'upper-case hex': (s) => Buffer.from(s, 'utf8').toString('hex').toUpperCase(),
  base64: b64,
  base64url: (s) => Buffer.from(s, 'utf8').toString('base64url'),
  'base64, percent-encoded': (s) => encodeURIComponent(b64(s)),
};

/** Encodings of a text around the value: the text around it stays, the value's span goes. */
const CONTEXTS: Record<string, (s: string) => string> = {
  'a JSON body inside a JSON string': (s) => jsonEscaped(JSON.stringify({ p: s })),
  'a form value inside a JSON body': (s) => jsonEscaped(`a=1&q=${formEncoded(s)}`),
  'a JSON body form-encoded': (s) => formEncoded(JSON.stringify({ p: s })),
  'a query in a URL in a JSON body in a URL': (s) =>
    encodeURIComponent(JSON.stringify({ url: `https://x.example/?q=${encodeURIComponent(s)}` })),
};
/** Spelled the same in every encoding above. */
const PLACEHOLDER = 'Placeholder7';

/** Texts a value is base64-encoded inside of: what matters is that its own bytes go. */
const AROUND: [string, string, string][] = [
  ['HTTP Basic (admin:value)', 'admin:', ''],
  ['a JSON body', '{"password":"', '"}'],
  ['two bytes before it', 'ab', 'c'],
];

/** Per-character encoders, and how a cut leaves them: whole characters, then part of one. */
const PER_CHARACTER = [
  'raw',
  'encodeURIComponent',
  'form (URLSearchParams)',
  'JSON string',
  'JSON, ASCII only',
  'HTML character references',
];

/** Every way to cut `encode(value)`: the text kept and how many UTF-16 units of the value it spells. */
function* cutsOf(value: string, encode: (s: string) => string): Generator<[string, number]> {
  const chars = [...value];
  for (let k = 0; k < chars.length; k++) {
    const head = chars.slice(0, k).join('');
    const next = encode(chars[k]);
    for (let j = 0; j < next.length; j++) yield [encode(head) + next.slice(0, j), head.length];
  }
}

describe.each([
  ['a plain password', 'pg-Passw0rd-7f3Kq9ZxLm'],
  ['a passphrase with a space and sub-delims', PASS],
  ['a quote and a backslash', QUOTED],
  ['non-ASCII', UMLAUT],
  ['a PEM key (newlines)', PEM],
])('a released value with %s', (_what, value) => {
  it.each(Object.entries(ENCODERS))('is redacted %s', (_how, encode) => {
    const out = redactReleasedSecrets(`before<${encode(value)}>after`, [value]);
    expect(out).toBe(`before<${REDACTED}>after`);
  });

  it.each(Object.entries(CONTEXTS))('is redacted in %s, the rest kept', (_how, encode) => {
    const out = redactReleasedSecrets(encode(value), [value]);
    expect(out).toBe(encode(PLACEHOLDER).replace(PLACEHOLDER, REDACTED));
  });

  it.each(AROUND)('leaves none of its bytes in base64 of %s', (_how, before, after) => {
    const out = redactReleasedSecrets(`Basic ${b64(before + value + after)}`, [value]);
    const rest = out.slice('Basic '.length).split(REDACTED);
    expect(rest).toHaveLength(2);
    // What stays encodes the bytes around it, and at each end a character mixing both.
    const around = Buffer.byteLength(before + after);
    expect(rest.join('').length).toBeLessThanOrEqual(Math.ceil((4 * around) / 3) + 4);
  });

  it.each(PER_CHARACTER)(
    'is redacted where %s was cut, an escape cut too (targets cut at 512)',
    (how) => {
      for (const [kept, units] of cutsOf(value, ENCODERS[how])) {
        const target = `https://x.example/?q=${kept}…`;
        const out = redactReleasedSecrets(target, [value]);
        if (units >= MIN_CUT_PIECE) expect(out).toBe(`https://x.example/?q=${REDACTED}…`);
        else if (units === 0) expect(out).toBe(target);
      }
    },
  );

  it('is redacted wherever cutMarked cuts a target holding it', () => {
    const url = `https://x.example/${formEncoded(value)}/rest`;
    for (let max = 0; max <= url.length; max++) {
      const out = redactReleasedSecrets(cutMarked(url, max), [value]);
      for (let k = MIN_CUT_PIECE; k <= value.length; k++)
        expect(out).not.toContain(formEncoded(value.slice(0, k)));
    }
  });

  it('is redacted before a truncation mark, inside a JSON log line', () => {
    for (let cut = MIN_CUT_PIECE; cut < value.length; cut++) {
      const line = JSON.stringify({
        level: 'info',
        message: `token ${value.slice(0, cut)}…[truncated]`,
      });
      const out = redactReleasedSecrets(line, [value]);
      expect(JSON.parse(out)).toEqual({ level: 'info', message: `token ${REDACTED}…[truncated]` });
    }
  });

  it('keeps JSON output valid: what is redacted is whole escapes, at every depth', () => {
    const output = { body: JSON.stringify({ p: value, q: 'keep' }), other: 'keep me' };
    const out = JSON.parse(redactReleasedSecrets(JSON.stringify(output), [value]));
    expect(out.other).toBe('keep me');
    expect(JSON.parse(out.body)).toEqual({ p: REDACTED, q: 'keep' });
  });
});

describe('what is not a released value stays', () => {
  it.each([
    ['an unrelated URL', 'https://api.example/v1/items?page=2&sort=name+asc'],
    ['a JSON body', '{"user":"ada","note":"line\\nnext \\u00e4"}'],
    ['a piece shorter than MIN_CUT_PIECE at a cut', 'https://x.example/pg-…'],
    ['a piece at the end of a text that was not cut', 'https://x.example/pg-Passw0rd'],
    ['a piece of the value that is not at a cut', 'xx pg-Pass yy'],
  ])('%s', (_what, text) => {
    expect(redactReleasedSecrets(text, ['pg-Passw0rd-7f3Kq9ZxLm'])).toBe(text);
  });

  it('returns the text itself when no value was released', () => {
    const text = '%70g-Passw0rd';
    expect(redactReleasedSecrets(text, [])).toBe(text);
  });
});

// Random values (non-ASCII, astral, quotes, backslashes, newlines, escape-like text) through every
// encoder and through a cut: nothing of the value stays.
const TRICKY = [
  '"',
  '\\',
  '\n',
  '\t',
  '+',
  ' ',
  '%',
  '&',
  '#',
  ';',
  'ä',
  '€',
  '😀',
  '\u0000',
  'u',
  '/',
];
const valueArb = fc
  .array(
    fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
    {
      minLength: 6,
      maxLength: 40,
    },
  )
  .map((parts) => parts.join(''))
  .filter((v) => !/[<>…]/.test(v) && Buffer.byteLength(v) >= 6);

describe('property: random values', () => {
  it.each(Object.entries(ENCODERS))('%s: redacted whole', (_how, encode) => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const out = redactReleasedSecrets(`<${encode(value)}>`, [value]);
        return out === `<${REDACTED}>`;
      }),
      { numRuns: 150 },
    );
  });

  it('percent-encoding of any subset of the characters, any case of hex, + for space', () => {
    fc.assert(
      fc.property(valueArb, fc.infiniteStream(fc.boolean()), (value, coins) => {
        const it = coins[Symbol.iterator]();
        const encoded = [...value]
          .map((c) => {
            if (c === ' ' && it.next().value) return '+';
            if (c !== '+' && c !== '%' && !it.next().value) return c;
            const hex = percentAll(c);
            return it.next().value ? hex.toUpperCase() : hex;
          })
          .join('');
        return redactReleasedSecrets(`<${encoded}>`, [value]) === `<${REDACTED}>`;
      }),
      { numRuns: 300 },
    );
  });

  it('JSON \\u escapes of any subset of the characters, nested to any depth up to 4', () => {
    fc.assert(
      fc.property(
        valueArb,
        fc.infiniteStream(fc.boolean()),
        fc.integer({ min: 1, max: 4 }),
        (value, coins, depth) => {
          const it = coins[Symbol.iterator]();
          let encoded = [...value]
            .map((c) => (c.length === 1 && it.next().value ? unicodeEscaped(c) : jsonEscaped(c)))
            .join('');
          for (let d = 1; d < depth; d++) encoded = jsonEscaped(encoded);
          return redactReleasedSecrets(`<${encoded}>`, [value]) === `<${REDACTED}>`;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cut at any point of any per-character encoding: nothing of MIN_CUT_PIECE units stays', () => {
    fc.assert(
      fc.property(valueArb, fc.constantFrom(...PER_CHARACTER), (value, how) => {
        for (const [kept, units] of cutsOf(value, ENCODERS[how]))
          if (
            units >= MIN_CUT_PIECE &&
            redactReleasedSecrets(`<${kept}…`, [value]) !== `<${REDACTED}…`
          )
            return false;
        return true;
      }),
      { numRuns: 100 },
    );
  });
});
