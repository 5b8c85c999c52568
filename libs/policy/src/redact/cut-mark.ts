/**
 * The mark the platform leaves where it cuts plugin-supplied text it records or hands back (a
 * denial's target, a log line): the scrubber takes the text before it for a possible piece of a
 * released value (see ReleasedSecretScrubber), so a value cut in two leaves nothing in the clear.
 */
export const CUT_MARK = '…';

/**
 * `text` at most `max` UTF-16 code units long, followed by CUT_MARK when it was longer. Every cut
 * of plugin-supplied text that may reach a record goes through here (or ends with CUT_MARK).
 */
export function cutMarked(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}${CUT_MARK}` : text;
}
