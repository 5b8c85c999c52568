/**
 * The exit statuses a shell script can rely on. Stable: a status keeps its meaning across
 * releases; a new kind of outcome gets a new number.
 */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** The platform refused (an HTTP 4xx with its code), or the version was rejected. */
  refused: 1,
  /** Bad flags or arguments, or no API key where one is needed. */
  usage: 2,
  /** The gateway was not reached or failed: connection refused, timeout, HTTP 5xx, not the API. */
  unreachable: 3,
  /** A local file is missing or unreadable, not JSON, not a package, or signing refused it. */
  input: 4,
  /** `--wait` ran out before the version settled. */
  waitExpired: 5,
  /** Approved, but no executor runs it: its load failed, or the operator's grant policy refuses it. */
  notLoaded: 6,
  /** A bug in the CLI itself. */
  internal: 70,
} as const;

export type ExitStatus = (typeof ExitCode)[keyof typeof ExitCode];

/** The table `--help` and the author guide show, one line per status. */
export const EXIT_CODE_HELP = `Exit status:
  0   ok
  1   the platform refused (HTTP 4xx, its code printed) or the version was rejected
  2   usage: bad flags or arguments, or no API key
  3   the gateway was not reached or failed (connection refused, timeout, HTTP 5xx, an answer
      that is not the API's): retrying may help
  4   local input: a file missing or unreadable, not JSON, not a complete package, a signing refusal
  5   --wait ran out before the version settled
  6   --wait: the version was approved but did not load (the load failed, reason printed, or
      the operator's grant policy refuses it)
  70  a bug in the CLI: please report it with the message`;

/** A detail of a refusal, as the gateway and the signing lib report them. */
export interface ErrorDetail {
  code: string;
  message: string;
  path?: string;
}

/**
 * A failure the CLI reports and exits with: `code` is stable (the gateway's or the signing
 * lib's code where there is one), `hint` says what to do next.
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly exit: ExitStatus,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }
}

/** Bad flags or arguments. */
export const usageError = (message: string, hint?: string) =>
  new CliError(ExitCode.usage, 'usage', message, hint);

/** A local input the CLI cannot use. */
export const inputError = (code: string, message: string, hint?: string) =>
  new CliError(ExitCode.input, code, message, hint);
