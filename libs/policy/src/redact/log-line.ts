import { ANY_RULE_MAY_MATCH, redactText } from './secret-redaction.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Appended to a message cut at the operator's cap. */
export const TRUNCATION_MARK = '…[truncated]';

// Control characters other than newline and tab: terminal escapes, carriage returns.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u009b]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');
// A control character, or what any redaction rule needs: one test for what most lines lack.
const CONTROL_OR_CREDENTIAL_HINT = new RegExp(`${CONTROL.source}|${ANY_RULE_MAY_MATCH.source}`);

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** A plugin's log message made safe to record. */
export interface PreparedLogMessage {
  message: string;
  truncated: boolean;
  redacted: boolean;
}

/**
 * How much of a message {@link prepareLogMessage} looks at, in UTF-16 code units: the cap plus a
 * margin covering any released secret that straddles the cut (at least 4096).
 */
function logMessageHeadLength(maxBytes: number, releasedSecrets: readonly string[]): number {
  return (
    releasedSecrets.reduce((longest, secret) => Math.max(longest, secret.length), 4096) + maxBytes
  );
}

/**
 * Bytes of UTF-8 to decode so that {@link prepareLogMessage} sees all it looks at, and, when the
 * bytes were cut, more than that (so it marks the message truncated): at most 3 bytes decode to
 * one code unit (a BMP character, or one replacement character for a malformed sequence).
 */
export function logMessageHeadBytes(maxBytes: number, releasedSecrets: readonly string[]): number {
  return 3 * (logMessageHeadLength(maxBytes, releasedSecrets) + 1);
}

/**
 * Neutralises control characters other than newline and tab (terminal escapes, carriage
 * returns that overwrite a line), redacts secrets, then caps the message at `maxBytes`
 * including the truncation mark. Redaction runs BEFORE truncation: cutting first could
 * leave half a secret that no longer matches any pattern. A message far longer than the cap is
 * first cut to the cap plus a margin, so its cost is bounded by the cap, not by its size.
 */
export function prepareLogMessage(
  message: string,
  maxBytes: number,
  releasedSecrets: readonly string[],
): PreparedLogMessage {
  // Most lines need nothing done: short, clean, no secret released, nothing that looks like one.
  if (
    releasedSecrets.length === 0 &&
    message.length * 3 <= maxBytes &&
    !CONTROL_OR_CREDENTIAL_HINT.test(message)
  )
    return { message, truncated: false, redacted: false };
  // Only the head can be kept: clean and redact a bounded prefix (the kept bytes plus room for a
  // secret straddling the cut), never the whole of a multi-megabyte message.
  const headLength = logMessageHeadLength(maxBytes, releasedSecrets);
  const head = message.length > headLength ? message.slice(0, headLength) : message;
  const clean = head.replace(CONTROLS, '\uFFFD');
  const { text, redacted } = redactText(clean, releasedSecrets);
  // A UTF-16 code unit takes at most 3 bytes of UTF-8: a short text needs no count.
  if (
    head === message &&
    (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes)
  )
    return { message: text, truncated: false, redacted };
  const markBytes = Buffer.byteLength(TRUNCATION_MARK, 'utf8');
  const cut =
    maxBytes > markBytes
      ? truncateUtf8(text, maxBytes - markBytes) + TRUNCATION_MARK
      : truncateUtf8(text, maxBytes);
  return { message: cut, truncated: true, redacted };
}
