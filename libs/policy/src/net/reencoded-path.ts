/** Why a path whose second (or later) percent-decoding steers it is refused. */
export const REENCODED_PATH =
  'path is percent-encoded more than once to hide a dot segment, slash, backslash or control character';

/** Decodings looked through; a path that would still change after this many is refused. */
const MAX_DECODINGS = 4;

const ESCAPE = /%([0-9a-f]{2})/gi;
const HAS_ESCAPE = /%[0-9a-f]{2}/i;

/**
 * Refuses a request path (as the WHATWG parser serialises it: ASCII, still percent-encoded) that
 * a second or later percent-decoding turns into a dot segment (`.`, `..`, also before `;`), a
 * slash, a backslash or a control character (NUL included): a proxy or framework that decodes
 * again would route it elsewhere (`/api/%252e%252e/admin` to `/admin`). Holds under every grant,
 * with or without a path prefix. Each decoding replaces every `%XX` by that byte, as a lenient
 * server does, so `%25%32%65` (the digits encoded on their own) and triple encodings are seen
 * through. A percent sign not followed by two hex digits (`100%25`, `%25zz`) is literal and
 * kept. Returns the reason, or null.
 */
export function reencodedPathRefusal(path: string): string | null {
  let previous = decodeBytes(path);
  for (let decodings = 1; HAS_ESCAPE.test(previous); decodings++) {
    if (decodings === MAX_DECODINGS)
      return `path is percent-encoded more than ${MAX_DECODINGS} times`;
    const next = decodeBytes(previous);
    if (steered(previous, next)) return REENCODED_PATH;
    previous = next;
  }
  return null;
}

/** One percent-decoding, byte by byte: each `%XX` becomes the character of that byte. */
function decodeBytes(text: string): string {
  return text.replace(ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// Decoding only ever turns `%XX` into one character: it steers the path if it adds a separator,
// a control character or a dot segment.
function steered(before: string, after: string): boolean {
  const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;
  const separators = /[/\\]/g;
  const controls = /[\u0000-\u001f\u007f]/g;
  return (
    count(after, separators) > count(before, separators) ||
    count(after, controls) > count(before, controls) ||
    dotSegments(after) > dotSegments(before)
  );
}

function dotSegments(path: string): number {
  return path.split(/[/\\]/).filter((segment) => {
    const bare = segment.split(';')[0];
    return bare === '.' || bare === '..';
  }).length;
}
