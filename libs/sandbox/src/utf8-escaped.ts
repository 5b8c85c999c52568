import { isUtf8 } from 'node:buffer';

const ESCAPE_BASE = 0xdc00;
const CHUNK = 8192;

/**
 * Decodes plugin bytes as UTF-8 without losing any: a valid sequence becomes its character, and
 * each byte that is not part of one becomes the lone surrogate U+DC00 + byte (U+DC80 to U+DCFF,
 * as Python's `surrogateescape`), where `Buffer.toString` would put U+FFFD for all of them alike.
 * The result is a string from which the bytes can be told apart (`/etc/a\xff` and `/etc/a\xfe`
 * stay different in a denial record; the audit log keeps lone surrogates as `\udcff` escapes).
 * Such a string is not well formed: whatever would use it as a path or URL refuses it (see
 * parsePluginPath, parseNetUrl). Valid UTF-8, the usual case, is decoded by Node at once.
 */
export function decodeUtf8Escaped(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const view = bytes.subarray(start, end);
  const buffer = Buffer.from(view.buffer, view.byteOffset, view.length);
  if (isUtf8(buffer)) return buffer.toString('utf8');
  let text = '';
  let codes: number[] = [];
  for (let i = 0; i < view.length;) {
    const length = sequenceLength(view, i);
    if (length === 0) {
      codes.push(ESCAPE_BASE + view[i]);
      i += 1;
    } else {
      const point = codePoint(view, i, length);
      if (point > 0xffff) codes.push(0xd7c0 + (point >> 10), 0xdc00 + (point & 0x3ff));
      else codes.push(point);
      i += length;
    }
    if (codes.length >= CHUNK) {
      text += String.fromCharCode(...codes);
      codes = [];
    }
  }
  return text + String.fromCharCode(...codes);
}

const continuation = (byte: number | undefined, low = 0x80, high = 0xbf) =>
  byte !== undefined && byte >= low && byte <= high;

/** Bytes of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), 0 if there is none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const lead = b[i];
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(b[i + 1]) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf;
    return continuation(b[i + 1], low, high) && continuation(b[i + 2]) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf;
    return continuation(b[i + 1], low, high) && continuation(b[i + 2]) && continuation(b[i + 3])
      ? 4
      : 0;
  }
  return 0;
}

function codePoint(b: Uint8Array, i: number, length: number): number {
  if (length === 1) return b[i];
  let point = b[i] & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) point = (point << 6) | (b[i + k] & 0x3f);
  return point;
}
