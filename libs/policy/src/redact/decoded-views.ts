/**
 * Decoded readings of a text, for finding a released secret however it was escaped: each code
 * unit of a reading knows the span of the original text it came from, so what is found in a
 * reading is redacted in the original, escapes and all.
 */

/** A reading of a text: `text[i]` came from `original.slice(from[i], to[i])`. */
export interface DecodedView {
  text: string;
  from: Int32Array;
  to: Int32Array;
}

/**
 * Decoding rounds at most, per chain: each undoes one layer of escaping (a JSON string inside a
 * JSON string, a URL inside a form body), so 8 covers values nested 8 deep.
 */
const MAX_DECODE_ROUNDS = 8;

// One escape of any of the syntaxes a value travels in: percent-encoding (any case of hex),
// JSON/JavaScript/Rust escapes (\uXXXX, \u{X…}, \xXX, \" \\ \/ \' \n \r \t \b \f) and HTML/XML
// character references. A `+` is a space in form bodies and query strings (the `plus` chain).
const ESCAPE =
  /%([0-9a-f]{2})|\\u\{([0-9a-f]{1,6})\}|\\u([0-9a-f]{4})|\\x([0-9a-f]{2})|\\(["\\/'bfnrt])|&#(\d{1,7});|&#x([0-9a-f]{1,6});|&(quot|amp|lt|gt|apos);|(\+)/gi;
const MAY_HOLD_ESCAPE = /[%\\&+]/;
const PERCENT = /%([0-9a-f]{2})/iy;
const SIMPLE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const ENTITY: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };

/** The identity reading of `text`. */
function originalView(text: string): DecodedView {
  const from = new Int32Array(text.length);
  const to = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    from[i] = i;
    to[i] = i + 1;
  }
  return { text, from, to };
}

/** Which escapes a reading undoes. */
interface Syntax {
  percent: boolean;
  /** `+` as a space (form bodies, query strings); only with `percent`. */
  plus: boolean;
  backslash: boolean;
  html: boolean;
}

const ALL: Syntax = { percent: true, plus: false, backslash: true, html: true };
const ALL_PLUS: Syntax = { ...ALL, plus: true };
const PERCENT_ONLY: Syntax = { percent: true, plus: false, backslash: false, html: false };
const PERCENT_PLUS_ONLY: Syntax = { ...PERCENT_ONLY, plus: true };
const BACKSLASH_ONLY: Syntax = { percent: false, plus: false, backslash: true, html: false };
const HTML_ONLY: Syntax = { percent: false, plus: false, backslash: false, html: true };

/**
 * Every decoded reading of `text` (not the text itself). Each chain of readings undoes one set
 * of syntaxes once, twice, … until nothing changes or MAX_DECODE_ROUNDS: all of them (escapes of
 * one syntax inside another, in any order), all with `+` as a space, and each syntax alone (a
 * value that itself holds text looking like an escape of one syntax, encoded in another, reads
 * right only in that one). A chain that would read the same as the first (its syntax's escapes
 * were the only ones there) is skipped. Malformed escapes stay as they are.
 */
export function decodedViews(text: string): DecodedView[] {
  if (!MAY_HOLD_ESCAPE.test(text)) return [];
  const original = originalView(text);
  const views: DecodedView[] = [];
  const seen = { percent: false, plus: false, backslash: false, html: false };
  const chain = (syntax: Syntax) => {
    for (let v = decodeOnce(original, syntax), round = 1; v; round++) {
      views.push(v);
      note(v.text);
      v = round < MAX_DECODE_ROUNDS ? decodeOnce(v, syntax) : null;
    }
  };
  const note = (reading: string) => {
    seen.percent ||= reading.includes('%');
    seen.plus ||= reading.includes('+');
    seen.backslash ||= reading.includes('\\');
    seen.html ||= reading.includes('&');
  };
  note(text);
  chain(ALL);
  if (seen.plus) chain(ALL_PLUS);
  const { percent, plus, backslash, html } = seen;
  if (percent && (backslash || html)) {
    chain(PERCENT_ONLY);
    if (plus) chain(PERCENT_PLUS_ONLY);
  }
  if (backslash && (percent || html)) chain(BACKSLASH_ONLY);
  if (html && (percent || backslash)) chain(HTML_ONLY);
  return views;
}

/** `view` with one layer of escapes undone, or null when it holds none. */
function decodeOnce(view: DecodedView, syntax: Syntax): DecodedView | null {
  const { text } = view;
  if (!MAY_HOLD_ESCAPE.test(text)) return null;
  // No escape is shorter than what it decodes to, so the reading is at most as long.
  const from = new Int32Array(text.length);
  const to = new Int32Array(text.length);
  const parts: string[] = [];
  let length = 0; // of the reading so far
  let copied = 0; // text[copied…] is not yet in the reading
  let changed = false;
  const emit = (decoded: string, start: number, end: number) => {
    from.fill(view.from[start], length, length + decoded.length);
    to.fill(view.to[end - 1], length, length + decoded.length);
    parts.push(decoded);
    length += decoded.length;
  };
  const copy = (end: number) => {
    if (end <= copied) return;
    parts.push(text.slice(copied, end));
    for (; copied < end; copied++, length++) {
      from[length] = view.from[copied];
      to[length] = view.to[copied];
    }
  };
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(text); m !== null; m = ESCAPE.exec(text)) {
    const start = m.index;
    let end = start + m[0].length;
    let decoded: string | null = null;
    if (m[1] !== undefined) {
      const run = syntax.percent ? utf8Run(text, start) : null;
      decoded = run?.decoded ?? null;
      end = run?.end ?? end;
    } else if (m[9] !== undefined) decoded = syntax.plus ? ' ' : null;
    else if (m[0][0] === '\\' ? syntax.backslash : syntax.html) decoded = decodeEscape(m);
    if (decoded === null) continue;
    copy(start);
    emit(decoded, start, end);
    copied = end;
    ESCAPE.lastIndex = end;
    changed = true;
  }
  if (!changed) return null;
  copy(text.length);
  return { text: parts.join(''), from: from.subarray(0, length), to: to.subarray(0, length) };
}

function decodeEscape(m: RegExpExecArray): string | null {
  const hex = m[2] ?? m[3] ?? m[4] ?? m[7];
  if (hex !== undefined) return codePoint(parseInt(hex, 16));
  if (m[5] !== undefined) return SIMPLE[m[5]] ?? m[5];
  if (m[6] !== undefined) return codePoint(Number(m[6]));
  return ENTITY[m[8].toLowerCase()] ?? null;
}

function codePoint(n: number): string | null {
  return n <= 0x10ffff ? String.fromCodePoint(n) : null;
}

/**
 * The characters a run of `%XX` escapes starting at `start` spells in UTF-8, and where the
 * escapes of the first character end; null when the first escape starts no valid UTF-8 sequence
 * (it then stays as it is).
 */
function utf8Run(text: string, start: number): { decoded: string; end: number } | null {
  const byteAt = (at: number): number => {
    PERCENT.lastIndex = at;
    const m = PERCENT.exec(text);
    return m ? parseInt(m[1], 16) : -1;
  };
  const lead = byteAt(start);
  if (lead < 0x80) return { decoded: String.fromCharCode(lead), end: start + 3 };
  const length = lead >= 0xf5 ? 0 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  if (length === 0) return null;
  let code = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const b = byteAt(start + 3 * k);
    if (b < 0x80 || b > 0xbf) return null;
    code = (code << 6) | (b & 0x3f);
  }
  const decoded = codePoint(code);
  return decoded === null ? null : { decoded, end: start + 3 * length };
}
