import fc from 'fast-check';
import { REDACTED } from './released-secrets.js';
import { redactText, shannonEntropy } from './secret-redaction.js';

// The rules as they were before their shortcuts (a literal each needs, the high-entropy run
// matched only where it begins, entropy counted in an array): the oracle the shortcuts must
// agree with on every text.
const whole = () => REDACTED;
const ORACLE_RULES: [RegExp, (match: string, ...groups: string[]) => string][] = [
  [/-----BEGIN [A-Z0-9 ]{1,64}-----[\s\S]*?(?:-----END [A-Z0-9 ]{1,64}-----|$)/g, whole],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, whole],
  [
    /\b(Bearer|Basic|Token|Digest)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
    (_m, scheme, space) => `${scheme}${space}${REDACTED}`,
  ],
  [
    /(\b[a-z][a-z0-9+.-]{0,20}:\/\/[^\s/:@]{1,256}:)[^\s/@]{1,256}@/gi,
    (_m, prefix) => `${prefix}${REDACTED}@`,
  ],
  [
    /\b([A-Za-z0-9_.-]{0,32}(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|session[_-]?id|cookie|auth))(["']?\s{0,8}[:=]\s{0,8})("[^"\n]{0,512}"|'[^'\n]{0,512}'|[^\s&;,'"]{1,512})/gi,
    (_m, key, sep) => `${key}${sep}${REDACTED}`,
  ],
  [
    new RegExp(
      [
        'sk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{16,}',
        '(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}',
        'gh[pousr]_[A-Za-z0-9]{30,}',
        'github_pat_[A-Za-z0-9_]{30,}',
        '(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}',
        'xox[abposr]-[A-Za-z0-9-]{10,}',
        'AIza[0-9A-Za-z_-]{35}',
        'glpat-[A-Za-z0-9_-]{20,}',
        'npm_[A-Za-z0-9]{36}',
      ]
        .map((p) => `\\b${p}`)
        .join('|'),
      'g',
    ),
    whole,
  ],
  [/[A-Za-z0-9+/_=-]{32,}/g, (m) => (oracleLooksRandom(m) ? REDACTED : m)],
];

function oracleEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function oracleLooksRandom(token: string): boolean {
  const body = token.replace(/=+$/, '');
  if (body.length < 32) return false;
  if (/^[0-9a-fA-F]+$/.test(body)) return oracleEntropy(body) >= 3;
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter((r) => r.test(body)).length;
  return classes === 3 && oracleEntropy(body) >= 3.5;
}

const oracle = (text: string) =>
  ORACLE_RULES.reduce((out, [pattern, replace]) => out.replace(pattern, replace), text);

/**
 * Texts made of the pieces the rules look for (each rule's literal, separators, runs of the
 * high-entropy class of every length around 32, credentials, non-ASCII), so that matches,
 * near-misses and overlaps are common.
 */
const piece = fc.oneof(
  fc.constantFrom(
    '-----BEGIN ',
    'RSA PRIVATE KEY-----',
    '-----END RSA PRIVATE KEY-----',
    'eyJ',
    '.',
    '://',
    'https',
    'user:pa55@',
    '@',
    ':',
    '=',
    ' ',
    '\n',
    '"',
    "'",
    'Bearer ',
    'token',
    'api_key',
    'password',
    'sk-',
    'sk_live_',
    'ghp_',
    'AKIA',
    'xoxb-',
    'AIza',
    'glpat-',
    'npm_',
    '==',
    'é',
    '😀',
    '\u{ffff}',
  ),
  fc.stringMatching(/^[A-Za-z0-9+/_=-]{1,40}$/),
  fc.stringMatching(/^[0-9a-f]{28,36}$/),
  fc.string({ maxLength: 12 }),
);
const text = fc.array(piece, { maxLength: 24 }).map((pieces) => pieces.join(''));

describe('redaction shortcuts agree with the rules run in full', () => {
  it('redactText gives what every rule, run on the whole text, gives', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(redactText(t, []).text).toBe(oracle(t));
      }),
      { numRuns: 20_000 },
    );
  });

  it('a run of 31 class characters repeated (each position tried for 31 before) is matched the same', () => {
    const near = `${'a1B'.repeat(10)}c `.repeat(40);
    const far = `${near}Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm`;
    for (const t of [near, far]) expect(redactText(t, []).text).toBe(oracle(t));
    expect(redactText(far, []).text).toBe(`${near}${REDACTED}`);
  });

  it('shannonEntropy gives the bits of counting code points in a Map, to the last bit', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })),
        (t) => {
          expect(shannonEntropy(t)).toBe(t.length === 0 ? 0 : oracleEntropy(t));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
