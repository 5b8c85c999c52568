import type { Finding, LoadFailure } from '@convergio/contracts';
import { CliError, ExitCode } from './exit-codes.js';
import { findingsView } from './state-views.js';

/** What a `?wait` answer adds: whether the version runs, why not, and whether the wait ended it. */
export interface WaitedFields {
  loaded: boolean;
  load_failure: LoadFailure | null;
  policy_violations: Finding[];
  settled: boolean;
}

/** The fields of a `?wait` answer; undefined when the answer did not wait. */
export function waitedFields(reply: Partial<WaitedFields>): WaitedFields | undefined {
  const { loaded = false, load_failure = null, policy_violations = [], settled } = reply;
  return settled === undefined ? undefined : { loaded, load_failure, policy_violations, settled };
}

/** The lines a waited answer adds for people: loaded or not, and why not. */
export function waitedView(waited: WaitedFields): string[] {
  return [
    `  loaded: ${waited.loaded ? 'yes' : 'no'}`,
    ...(waited.load_failure
      ? [`  load failed: ${waited.load_failure.reason}: ${waited.load_failure.message}`]
      : []),
    ...findingsView('policy violations', waited.policy_violations),
  ];
}

/**
 * How a wait for an approved version ended, as a failure: undefined when it runs; exit 6
 * (`not_loaded`) when its load failed or policy refuses it; exit 5 (`wait_expired`) when the
 * wait ran out first. `status` is the version's status when the wait ended.
 */
export function approvedButNotRunning(
  ref: string,
  status: string,
  waited: WaitedFields,
  seconds: number,
): CliError | undefined {
  if (waited.loaded) return undefined;
  const follow = `follow it with \`convergio status ${ref}\``;
  if (!waited.settled)
    return new CliError(
      ExitCode.waitExpired,
      'wait_expired',
      status === 'approved'
        ? `${ref} is approved but no executor runs it after ${seconds} s`
        : `${ref} is still ${status} after ${seconds} s`,
      follow,
    );
  if (waited.load_failure)
    return new CliError(
      ExitCode.notLoaded,
      'not_loaded',
      `${ref} was approved but did not load: ${waited.load_failure.reason}: ${waited.load_failure.message}`,
      'calls to this version fail; fix the module, raise "version" in plugin.json and submit again',
    );
  if (waited.policy_violations.length > 0)
    return new CliError(
      ExitCode.notLoaded,
      'not_loaded',
      `${ref} was approved but does not run: it breaks the operator's grant policy`,
      `the policy violations are listed; ${follow}`,
    );
  return new CliError(
    ExitCode.notLoaded,
    'not_loaded',
    `${ref} does not run: it is no longer approved`,
    follow,
  );
}
