/**
 * Redaction of secrets in what plugins log and emit. Pure and conservative: a false
 * positive costs a word in a log line, a false negative leaks a credential. Every pattern
 * is bounded so a hostile message cannot make redaction quadratic.
 */

import { REDACTED, redactReleasedSecrets, type ReleasedValues } from './released-secrets.js';

type Rule = {
  name: string;
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
  /**
   * What every match of `pattern` holds (a literal of it): text without it is left as it is
   * without running the pattern, which scans every position of the text.
   */
  needs?: (text: string) => boolean;
};

const whole = (): string => REDACTED;

/** Ordered: PEM first (it contains base64 the entropy rule would cut in pieces). */
const RULES: readonly Rule[] = [
  {
    name: 'pem',
    pattern: /-----BEGIN [A-Z0-9 ]{1,64}-----[\s\S]*?(?:-----END [A-Z0-9 ]{1,64}-----|$)/g,
    replace: whole,
    needs: (text) => text.includes('-----BEGIN '),
  },
  {
    name: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
    replace: whole,
    needs: (text) => text.includes('eyJ'),
  },
  {
    name: 'auth-scheme',
    pattern: /\b(Bearer|Basic|Token|Digest)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`,
  },
  {
    name: 'url-credentials',
    pattern: /(\b[a-z][a-z0-9+.-]{0,20}:\/\/[^\s/:@]{1,256}:)[^\s/@]{1,256}@/gi,
    replace: (_m, prefix: string) => `${prefix}${REDACTED}@`,
    needs: (text) => text.includes('://'),
  },
  {
    name: 'key-value',
    pattern:
      /\b([A-Za-z0-9_.-]{0,32}(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|session[_-]?id|cookie|auth))(["']?\s{0,8}[:=]\s{0,8})("[^"\n]{0,512}"|'[^'\n]{0,512}'|[^\s&;,'"]{1,512})/gi,
    replace: (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`,
    needs: (text) => text.includes(':') || text.includes('='),
  },
  {
    name: 'vendor-key',
    pattern: new RegExp(
      [
        'sk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{16,}', // OpenAI, Anthropic
        '(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}', // Stripe
        'gh[pousr]_[A-Za-z0-9]{30,}', // GitHub tokens
        'github_pat_[A-Za-z0-9_]{30,}',
        '(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}', // AWS access key ids
        'xox[abposr]-[A-Za-z0-9-]{10,}', // Slack
        'AIza[0-9A-Za-z_-]{35}', // Google API keys
        'glpat-[A-Za-z0-9_-]{20,}', // GitLab
        'npm_[A-Za-z0-9]{36}',
      ]
        .map((p) => `\\b${p}`)
        .join('|'),
      'g',
    ),
    replace: whole,
  },
  {
    name: 'high-entropy',
    // Only where a run of the class begins (the lookbehind): a match always starts there and
    // takes the whole run, so the other positions, each tried for up to 31 characters, cannot
    // match; skipping them makes the scan linear.
    pattern: /(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{32,}/g,
    replace: (m) => (looksRandom(m) ? REDACTED : m),
  },
];

/** Occurrences of each ASCII character, kept between calls (every count is back to 0 after one). */
const asciiCounts = new Uint32Array(128);
/** The distinct ASCII characters of the text being measured, in order of first occurrence. */
const asciiSeen: number[] = [];

/**
 * Shannon entropy in bits per character (per UTF-16 unit of `text.length`; characters are code
 * points). ASCII text, what the high-entropy rule measures, is counted in an array; the terms
 * are summed in order of first occurrence either way, so both paths give the same bits.
 */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  asciiSeen.length = 0;
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      ascii = false;
      break;
    }
    if (asciiCounts[c]++ === 0) asciiSeen.push(c);
  }
  let bits = 0;
  for (const c of asciiSeen) {
    const p = asciiCounts[c] / text.length;
    asciiCounts[c] = 0;
    bits -= p * Math.log2(p);
  }
  return ascii ? bits : codePointEntropy(text);
}

function codePointEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A long token that reads like key material: hex with high entropy (not `0000…`), or
 * base64 mixing upper case, lower case and digits with high entropy. Lower-case paths
 * and identifiers do not qualify; a long SHA digest does (and is redacted).
 */
function looksRandom(token: string): boolean {
  const body = token.replace(/=+$/, '');
  if (body.length < 32) return false;
  if (/^[0-9a-fA-F]+$/.test(body)) return shannonEntropy(body) >= 3;
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter((r) => r.test(body)).length;
  return classes === 3 && shannonEntropy(body) >= 3.5;
}

/**
 * What every rule needs somewhere in its match: a separator (`:` of a URL or a key-value pair,
 * `=` of a key-value pair) or a run of 8 characters of one class that holds every character of
 * a PEM header, a JWT, a scheme's credential, a vendor key and a high-entropy token. Text
 * without either cannot match any rule, so it is returned without running them: most short
 * log lines.
 */
export const ANY_RULE_MAY_MATCH = /[:=]|[A-Za-z0-9._~+/=-]{8}/;

/** False when no redaction rule can match `text` (see ANY_RULE_MAY_MATCH). */
const mayLookLikeCredential = (text: string): boolean => ANY_RULE_MAY_MATCH.test(text);

/** The redacted text and whether anything was replaced. */
export interface Redaction {
  text: string;
  redacted: boolean;
}

/**
 * Replaces every released secret (however encoded, see redactReleasedSecrets) and every span
 * that looks like a credential with `[REDACTED]`, keeping the rest of the text.
 */
export function redactText(text: string, releasedSecrets: ReleasedValues): Redaction {
  let out = redactReleasedSecrets(text, releasedSecrets);
  if (!mayLookLikeCredential(out)) return { text: out, redacted: out !== text };
  for (const rule of RULES) {
    if (rule.needs && !rule.needs(out)) continue;
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, rule.replace);
  }
  return { text: out, redacted: out !== text };
}

/** True when the text is, contains or encodes a secret. */
export function containsSecret(text: string, releasedSecrets: ReleasedValues): boolean {
  return redactText(text, releasedSecrets).redacted;
}

/**
 * A scalar telemetry value: strings that hold a secret anywhere, and numbers whose digits spell
 * a released value, become `[REDACTED]` as a whole.
 */
export function redactScalar(
  value: string | number | boolean,
  releasedSecrets: ReleasedValues,
): string | number | boolean {
  if (typeof value === 'string') return containsSecret(value, releasedSecrets) ? REDACTED : value;
  if (typeof value === 'number') {
    const digits = String(value);
    return redactReleasedSecrets(digits, releasedSecrets) !== digits ? REDACTED : value;
  }
  return value;
}
