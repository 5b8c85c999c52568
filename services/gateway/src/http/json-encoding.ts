import { isUtf8 } from 'node:buffer';
import { DomainError } from '@convergio/contracts';

/** Byte order marks, longest first (the UTF-32LE one starts with the UTF-16LE one). */
const BYTE_ORDER_MARKS: [bytes: number[], encoding: string][] = [
  [[0x00, 0x00, 0xfe, 0xff], 'UTF-32BE'],
  [[0xff, 0xfe, 0x00, 0x00], 'UTF-32LE'],
  [[0xfe, 0xff], 'UTF-16BE'],
  [[0xff, 0xfe], 'UTF-16LE'],
];

/**
 * Why the bytes of a JSON body are not JSON text as RFC 8259 §8.1 has it (UTF-8, no byte order
 * mark): a UTF-8 byte order mark, or UTF-16 or UTF-32 with a byte order mark or without one (JSON
 * text starts with an ASCII character, so the zero bytes of its first code unit name the encoding,
 * as RFC 4627 §3 detects it; UTF-8 JSON has no zero byte), or bytes that are not UTF-8 at all
 * (latin1, an overlong or cut-off sequence), which decoding would turn into U+FFFD and store;
 * null when none of these.
 */
export function jsonEncodingRefusal(bytes: Uint8Array): DomainError | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return new DomainError(
      'bad_request',
      'the JSON body starts with a byte order mark (the bytes EF BB BF): send it without one (RFC 8259 §8.1)',
    );
  const encoding = encodingOf(bytes);
  if (encoding !== undefined)
    return new DomainError(
      'bad_request',
      `the JSON body is in ${encoding}: send it in UTF-8 (RFC 8259 §8.1)`,
    );
  if (!isUtf8(bytes))
    return new DomainError(
      'bad_request',
      'the JSON body is not valid UTF-8: send it in UTF-8 (RFC 8259 §8.1), not latin1 or another encoding',
    );
  return null;
}

function encodingOf(bytes: Uint8Array): string | undefined {
  for (const [mark, encoding] of BYTE_ORDER_MARKS)
    if (mark.every((byte, i) => bytes[i] === byte)) return encoding;
  if (bytes.length < 2) return undefined;
  const [a, b, c, d] = [bytes[0], bytes[1], bytes[2], bytes[3]];
  if (bytes.length >= 4 && a === 0 && b === 0 && c === 0) return 'UTF-32BE';
  if (bytes.length >= 4 && a !== 0 && b === 0 && c === 0 && d === 0) return 'UTF-32LE';
  if (a === 0) return 'UTF-16BE';
  if (b === 0) return 'UTF-16LE';
  return undefined;
}
