import type { CliError, ErrorDetail } from './exit-codes.js';

/**
 * What a command prints. With `--json`, stdout carries exactly one JSON document (the result,
 * or `{"error": ...}`); without, lines for people, each {@link shown} (a field that may hold a
 * newline is shown by the view that builds the line). Notes and errors always go to stderr.
 */
export function printResult(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(
    json ? `${JSON.stringify(value, null, 2)}\n` : withNewline(shownLines(human())),
  );
}

/** A line for people on stderr (progress, what was written where, what to do next). */
export function note(text: string): void {
  process.stderr.write(withNewline(shownLines(text)));
}

/**
 * What acts on a terminal or reorders what it shows: C0 controls (newline, carriage return and
 * escape included), DEL, C1 controls, line and paragraph separators, bidi embeddings, overrides
 * and isolates (U+202A-202E, U+2066-2069), lone surrogates.
 */
const UNSHOWN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;

/**
 * `text` as people may see it in a terminal: each character of {@link UNSHOWN} written as
 * `\uXXXX` (`\u001b` for escape), everything else as it is. Every string the platform, a
 * publisher or a plugin controls goes through it before it is printed, so none can clear the
 * screen, colour it or forge a line. Applying it twice changes nothing more.
 */
export function shown(text: string): string {
  return text.replace(UNSHOWN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Each line of `text` {@link shown}: what the CLI itself puts between lines stays. */
const shownLines = (text: string) => text.split('\n').map(shown).join('\n');

/** `convergio: <code>: <message>`, each detail, then the hint: the stderr form of a failure. */
export function describeFailure(error: Pick<CliError, 'code' | 'message' | 'hint' | 'details'>) {
  const lines = [`convergio: ${shown(error.code)}: ${shown(error.message)}`];
  for (const detail of error.details) lines.push(`  ${detailLine(detail)}`);
  if (error.hint) lines.push(`hint: ${shown(error.hint)}`);
  return lines.join('\n');
}

/** The `--json` form of a failure, printed on stdout in place of a result. */
export function failureDocument(error: CliError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details.length > 0 && { details: error.details }),
      ...(error.hint && { hint: error.hint }),
      exit_code: error.exit,
    },
  };
}

/** `code: message (at /path)`: one finding or error detail, {@link shown}. */
export function detailLine(detail: ErrorDetail): string {
  return shown(`${detail.code}: ${detail.message}${detail.path ? ` (at ${detail.path})` : ''}`);
}

const withNewline = (text: string) => (text.endsWith('\n') || text === '' ? text : `${text}\n`);
