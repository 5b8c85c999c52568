import type { ErrorDetail } from './error-codes.js';

// PostgreSQL refuses NUL in text and jsonb, and lone UTF-16 surrogates in jsonb ("\ud800" is
// refused as an escape); terminals and log viewers act on control characters. Plugins control
// much of the text the platform stores, so none of these may reach the database as they are.

const HEX = '0123456789abcdef';
const hex4 = (unit: number) =>
  `\\u${HEX[(unit >> 12) & 15]}${HEX[(unit >> 8) & 15]}${HEX[(unit >> 4) & 15]}${HEX[unit & 15]}`;

const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;
/**
 * What acts on a terminal, a console or a log viewer, or reorders what it shows: C0 controls
 * (NUL included), DEL, C1 controls, the line and paragraph separators (U+2028, U+2029, which
 * start a line in many viewers), and the bidi embeddings, overrides and isolates (U+202A-202E,
 * U+2066-2069) that make text display in another order than it reads (CVE-2021-42574, "Trojan
 * Source"): the set the CLI does not print either.
 */
const isControl = (unit: number) =>
  unit < 0x20 ||
  (unit >= 0x7f && unit <= 0x9f) ||
  unit === 0x2028 ||
  unit === 0x2029 ||
  (unit >= 0x202a && unit <= 0x202e) ||
  (unit >= 0x2066 && unit <= 0x2069);

/**
 * The audit log's form of a string: `\` becomes `\\`; every control character (C0, DEL, C1, line
 * and paragraph separators, bidi controls: see isControl) and
 * every lone surrogate becomes `\uXXXX` (six characters, lowercase hex). Valid surrogate pairs
 * and all other characters are kept. Loss-free: {@link unescapeAuditText} gives the original back,
 * because an escaped string holds no `\` that does not start an escape.
 */
export function escapeAuditText(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    let escaped: string | undefined;
    if (unit === 0x5c) escaped = '\\\\';
    else if (isControl(unit)) escaped = hex4(unit);
    else if (isHigh(unit)) {
      if (i + 1 < text.length && isLow(text.charCodeAt(i + 1))) i++;
      else escaped = hex4(unit);
    } else if (isLow(unit)) escaped = hex4(unit);
    if (escaped === undefined) continue;
    out += text.slice(from, i) + escaped;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** The original of a string {@link escapeAuditText} produced. */
export function unescapeAuditText(stored: string): string {
  return stored.replace(/\\(\\|u[0-9a-f]{4})/g, (_m, escape: string) =>
    escape === '\\' ? '\\' : String.fromCharCode(parseInt(escape.slice(1), 16)),
  );
}

/** A JSON value with every string and every object key in the audit log's form ({@link escapeAuditText}). */
export function escapeAuditJson(value: unknown): unknown {
  if (typeof value === 'string') return escapeAuditText(value);
  if (Array.isArray(value)) return value.map(escapeAuditJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [escapeAuditText(k), escapeAuditJson(v)]),
    );
  return value;
}

/** True if the string holds NUL or a lone surrogate, which PostgreSQL cannot store. */
export function hasUnstorableCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0 || isLow(unit)) return true;
    if (isHigh(unit)) {
      if (!(i + 1 < text.length && isLow(text.charCodeAt(i + 1)))) return true;
      i++;
    }
  }
  return false;
}

/**
 * The index (in UTF-16 code units) of the first control character (C0, DEL, C1, line and
 * paragraph separators, bidi embeddings, overrides and isolates) of `text` that
 * `allowed` does not hold (`'\t\n'` lets tab and newline through), or -1 when there is none.
 * Such characters act on terminals and log viewers: an escape sequence clears a screen or
 * colours it, a carriage return or newline forges a line.
 */
function controlCharacterIndex(text: string, allowed = ''): number {
  for (let i = 0; i < text.length; i++)
    if (isControl(text.charCodeAt(i)) && !allowed.includes(text[i])) return i;
  return -1;
}

/**
 * Invisible format characters (Unicode category Cf: zero-width spaces and joiners, bidi marks,
 * the byte order mark, the soft hyphen, tag characters, ...): a name holding one looks like
 * another name, or like no name at all.
 */
const FORMAT_CHARACTER = /\p{Cf}/u;

/**
 * The index (in UTF-16 code units) of the first invisible format character (Unicode category
 * Cf) of `text`, or -1 when there is none. The price of refusing them: emoji built with joiners
 * or tag characters, and words of scripts that need a zero-width joiner or non-joiner.
 */
function formatCharacterIndex(text: string): number {
  return FORMAT_CHARACTER.exec(text)?.index ?? -1;
}

/** `U+001B`: how a message names a character. */
const codePointName = (unit: number) => `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why a string people read is refused, or undefined when it is not: it holds a control character
 * (see {@link controlCharacterIndex}; tab and newline pass when `multiline`) or, unless
 * `multiline`, an invisible format character (see {@link formatCharacterIndex}). The message
 * names the character by code point and its index in UTF-16 code units:
 * `holds the control character U+001B at 0; none are allowed`.
 */
export function characterRefusal(text: string, multiline = false): string | undefined {
  const control = controlCharacterIndex(text, multiline ? '\t\n' : '');
  if (control >= 0)
    return `holds the control character ${codePointName(text.charCodeAt(control))} at ${control}; ${
      multiline ? 'only tab and newline are allowed' : 'none are allowed'
    }`;
  const format = multiline ? -1 : formatCharacterIndex(text);
  if (format >= 0)
    return `holds the invisible format character ${codePointName(text.codePointAt(format)!)} at ${format}; none are allowed`;
}

const MAX_REPORTED = 50;
const MAX_PATH = 500;

/**
 * One `invalid_characters` detail per string or object key, anywhere in `value`, that holds NUL
 * or a lone surrogate (at most 50). Paths are JSON pointers, written in the audit log's form so
 * that the path itself is printable.
 */
export function unstorableCharacters(value: unknown): ErrorDetail[] {
  const found: ErrorDetail[] = [];
  const visit = (v: unknown, path: string): void => {
    if (found.length >= MAX_REPORTED) return;
    if (typeof v === 'string') {
      if (hasUnstorableCharacters(v))
        found.push(detail(path || '/', 'a string holds NUL or a lone UTF-16 surrogate'));
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [key, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
      const at = `${path}/${pointerToken(String(key))}`;
      if (typeof key === 'string' && hasUnstorableCharacters(key))
        found.push(detail(at, 'a key holds NUL or a lone UTF-16 surrogate'));
      visit(child, at);
    }
  };
  visit(value, '');
  return found.slice(0, MAX_REPORTED);
}

const pointerToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

const detail = (path: string, message: string): ErrorDetail => ({
  code: 'invalid_characters',
  message,
  path: escapeAuditText(path).slice(0, MAX_PATH),
});
