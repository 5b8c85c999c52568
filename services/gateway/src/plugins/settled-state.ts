import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import {
  RequestSubjects,
  type LoadFailure,
  type VersionState,
  type VersionStatus,
} from '@convergio/contracts';
import type { BusClient, MessageContext } from '@convergio/messaging';

/**
 * Statuses a version rests in until someone acts, after a submission (`approved` counts once an
 * executor runs it, or it is known not to).
 */
const RESTING_AFTER_SUBMIT: ReadonlySet<VersionStatus> = new Set([
  'pending_approval',
  'rejected',
  'revoked',
]);
/** After an admin's approval: it is still pending until the registry hears of the decision. */
export const RESTING_AFTER_APPROVAL: ReadonlySet<VersionStatus> = new Set(['rejected', 'revoked']);
const POLL_MS = 100;

/** The longest `?wait` a request may ask for, seconds. */
export const MAX_WAIT_SECONDS = 120;

/** The query of a route that can wait for the version to settle: `?wait=<0..120 seconds>`. */
export const waitQuery = (description: string) =>
  Type.Object(
    {
      wait: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_WAIT_SECONDS, description })),
    },
    { additionalProperties: false },
  );

/** What a wait for a version learned; a `?wait` answer carries these fields. */
export interface SettledState {
  /** The version's status when the wait ended. */
  status: VersionStatus;
  /** Whether an executor runs it, so that a call made next is served. */
  loaded: boolean;
  /** Why an executor failed to load it (approved, but it does not run); null when none failed. */
  load_failure: LoadFailure | null;
  /** The operator policy rules it breaks: approved, but no executor runs it while any are listed. */
  policy_violations: VersionState['policy_violations'];
  /** What verification found (why a `rejected` version was), as the version's state lists it. */
  findings: VersionState['findings'];
  /**
   * True when the outcome is known: approved and loaded, approved but its load failed or policy
   * refuses it, or resting (pending_approval after a submission, rejected, revoked). False when
   * the wait ran out first.
   */
  settled: boolean;
}

type Known = Omit<SettledState, 'settled'>;

const outcomeKnown = (s: Known, resting: ReadonlySet<VersionStatus>) =>
  resting.has(s.status) ||
  (s.status === 'approved' &&
    (s.loaded || s.load_failure !== null || s.policy_violations.length > 0));

/**
 * Asks the registry for a version's state every 100 ms until its outcome is known (see
 * {@link SettledState.settled}), `seconds` have passed (at most {@link MAX_WAIT_SECONDS},
 * whatever is asked) or `signal` aborts (the client left); answers what it saw last. Polling the
 * registry (not listening for events) gives the same answer behind any number of gateways. The
 * requests are made in `context` (the HTTP request's).
 * Throws what the registry's answer throws (e.g. `not_found`, `unavailable`).
 */
export async function settledState(
  bus: Pick<BusClient, 'request'>,
  ref: { plugin_id: string; version: string },
  status: VersionStatus,
  seconds: number,
  options: {
    resting?: ReadonlySet<VersionStatus>;
    signal?: AbortSignal;
    context?: MessageContext;
  } = {},
): Promise<SettledState> {
  const { resting = RESTING_AFTER_SUBMIT, signal, context } = options;
  const waitMs = Math.min(seconds, MAX_WAIT_SECONDS) * 1000;
  const deadline = Date.now() + (waitMs > 0 ? waitMs : 0);
  let seen: Known = {
    status,
    loaded: false,
    load_failure: null,
    policy_violations: [],
    findings: [],
  };
  while (!outcomeKnown(seen, resting)) {
    if (signal?.aborted || Date.now() >= deadline) return { ...seen, settled: false };
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
    if (signal?.aborted) return { ...seen, settled: false };
    const state = await bus.request(RequestSubjects.RegistryGetVersion, ref, { context });
    seen = {
      status: state.status,
      loaded: state.loaded,
      load_failure: state.load_failure,
      policy_violations: state.policy_violations,
      findings: state.findings,
    };
  }
  return { ...seen, settled: true };
}
