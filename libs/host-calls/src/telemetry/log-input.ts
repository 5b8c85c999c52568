import { MAX_SECRET_VALUE_BYTES } from '@convergio/contracts';
import { LOG_LEVELS, logMessageHeadBytes, type LogLevel } from '@convergio/policy';
import { decodeUtf8Escaped } from '@convergio/sandbox';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const FIRST_PRINTABLE = 0x20;
const HEAD = Buffer.from('{"level":"', 'utf8');
const TAIL_BYTES = 2; // "}
/**
 * Bytes of a message decoded at most: what the line cap reads of a message at the largest cap an
 * operator may set (EXECUTOR_MAX_LOG_BYTES, at most 1 MiB) and the longest secret value
 * (logMessageHeadBytes): a message cut here is redacted, cut and marked as if it had been read
 * whole. A message of tens of MiB of malformed UTF-8, each byte decoded to a UTF-16 unit, filled
 * the worker's heap.
 */
const MESSAGE_HEAD_BYTES = logMessageHeadBytes(1024 * 1024, ['x'.repeat(MAX_SECRET_VALUE_BYTES)]);
// Each level with what follows it up to the message, by the level's first byte (all differ).
const LEVEL_HEADS = new Map(
  LOG_LEVELS.map((level) => [
    level.charCodeAt(0),
    { level, bytes: Buffer.from(`${level}","message":"`, 'utf8') },
  ]),
);

/**
 * The `log` input in the form PDKs write it, `{"level":"<level>","message":"<text>"}` with
 * nothing to unescape in the text, read without JSON.parse (an InputDecoder); any other form
 * (members in another order, spaces, escapes, other members): undefined, and JSON.parse reads
 * it. What it reads is what JSON.parse of the block's UTF-8 text gives: the text's bytes hold no
 * quote, backslash or control character, so the structure around them is exactly the form above
 * and they decode to the message as they stand (malformed UTF-8 escaped alike, byte by byte, see decodeUtf8Escaped, and never
 * swallowing the closing quote, an ASCII byte).
 */
export function decodeLogInput(bytes: Buffer): { level: LogLevel; message: string } | undefined {
  const end = bytes.length - TAIL_BYTES;
  if (end <= HEAD.length || !matches(bytes, 0, HEAD)) return undefined;
  const head = LEVEL_HEADS.get(bytes[HEAD.length]);
  const start = HEAD.length + (head?.bytes.length ?? 0);
  if (!head || start > end || !matches(bytes, HEAD.length, head.bytes)) return undefined;
  if (bytes[end] !== QUOTE || bytes[end + 1] !== 0x7d) return undefined;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte === QUOTE || byte === BACKSLASH || byte < FIRST_PRINTABLE) return undefined;
  }
  return {
    level: head.level,
    message: decodeUtf8Escaped(bytes, start, Math.min(end, start + MESSAGE_HEAD_BYTES)),
  };
}

function matches(bytes: Buffer, at: number, expected: Buffer): boolean {
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}
