const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER_CHARS = /[0-9.eE+-]/;

/**
 * How many object members JSON text names (every member name is a string followed by `:`), in
 * one pass without a parse tree, for text JSON.parse has accepted; undefined as soon as
 * `numberOk` refuses a number token as written (`1e400`, say), which it sees in document order.
 */
export function jsonMemberCount(
  text: string,
  numberOk: (raw: string) => boolean = () => true,
): number | undefined {
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; text.charCodeAt(i) !== QUOTE; i += text.charCodeAt(i) === BACKSLASH ? 2 : 1);
      let next = i + 1;
      while (WHITESPACE.has(text.charCodeAt(next))) next++;
      if (text.charCodeAt(next) === COLON) members++;
    } else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
      let end = i + 1;
      while (end < text.length && NUMBER_CHARS.test(text[end])) end++;
      if (!numberOk(text.slice(i, end))) return undefined;
      i = end - 1;
    }
  }
  return members;
}

/** How many keys the objects of a parsed JSON value hold in all, walking without recursion. */
export function jsonKeyCount(value: unknown): number {
  let count = 0;
  const pending = [value];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next === null || typeof next !== 'object') continue;
    const children = Array.isArray(next) ? next : Object.values(next);
    if (!Array.isArray(next)) count += children.length;
    // One by one: spreading a long array into push() overflows the call stack.
    for (const child of children) pending.push(child);
  }
  return count;
}

/**
 * Whether JSON text that JSON.parse read into `value` names a key twice in one object, compared
 * after unescaping (`"a"` and `"\u0061"` are one key): JSON.parse keeps the last, other parsers
 * the first, so a reviewer, proxy or log reading the text may see another request than the one
 * that runs (the confusion behind CVE-2017-12635, CouchDB). The text has a duplicate exactly
 * when it names more members than the value holds keys.
 */
export function hasDuplicateKeys(text: string, value: unknown): boolean {
  return jsonMemberCount(text) !== jsonKeyCount(value);
}
