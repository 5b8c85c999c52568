/**
 * How plugins spell a value in what they build, for tests of secret redaction: each takes the
 * value and returns it encoded, without delimiters.
 */

/** As a form body or query string writes it (URLSearchParams: `+` for space). */
export const formEncoded = (s: string): string => new URLSearchParams({ q: s }).toString().slice(2);

/** Inside a JSON string (the quotes left out). */
export const jsonEscaped = (s: string): string => JSON.stringify(s).slice(1, -1);

/** Inside a JSON string as encoders that escape every non-ASCII character write it (Python's json.dumps). */
export const asciiJsonEscaped = (s: string): string =>
  jsonEscaped(s).replace(
    /[^\u0020-\u007e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/** Every UTF-16 unit as a `\uXXXX` escape (hex in upper case with `upper`). */
export const unicodeEscaped = (s: string, upper = false): string =>
  s
    .split('')
    .map((c) => c.charCodeAt(0).toString(16).padStart(4, '0'))
    .map((h) => `\\u${upper ? h.toUpperCase() : h}`)
    .join('');
