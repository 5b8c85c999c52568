import type { CliError, ErrorDetail } from './exit-codes.js';

/**
 * What a command prints. With `--json`, stdout carries exactly one JSON document (the result,
 * or `{"error": ...}`); without, lines for people. Notes and errors always go to stderr.
 */
export function printResult(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : withNewline(human()));
}

/** A line for people on stderr (progress, what was written where, what to do next). */
export function note(text: string): void {
  process.stderr.write(withNewline(text));
}

/** `convergio: <code>: <message>`, each detail, then the hint: the stderr form of a failure. */
export function describeFailure(error: Pick<CliError, 'code' | 'message' | 'hint' | 'details'>) {
  const lines = [`convergio: ${error.code}: ${error.message}`];
  for (const detail of error.details) lines.push(`  ${detailLine(detail)}`);
  if (error.hint) lines.push(`hint: ${error.hint}`);
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

/** `code: message (at /path)`: one finding or error detail. */
export function detailLine(detail: ErrorDetail): string {
  return `${detail.code}: ${detail.message}${detail.path ? ` (at ${detail.path})` : ''}`;
}

const withNewline = (text: string) => (text.endsWith('\n') || text === '' ? text : `${text}\n`);
