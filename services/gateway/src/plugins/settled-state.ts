import { Type } from '@sinclair/typebox';
import { RequestSubjects, type VersionStatus } from '@convergio/contracts';
import type { BusClient } from '@convergio/messaging';

/**
 * Statuses a version rests in until someone acts, after a submission (`approved` counts once an
 * executor runs it).
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

/**
 * Asks the registry for a version's status until it is settled (approved and loaded by an
 * executor, so a call made next is served, or one of `resting`) or `seconds` have passed;
 * returns the last status seen. Polling the registry (not listening for events) gives the same
 * answer behind any number of gateways.
 */
export async function settledStatus(
  bus: Pick<BusClient, 'request'>,
  ref: { plugin_id: string; version: string },
  status: VersionStatus,
  seconds: number,
  resting: ReadonlySet<VersionStatus> = RESTING_AFTER_SUBMIT,
): Promise<VersionStatus> {
  const deadline = Date.now() + seconds * 1000;
  let loaded = false;
  while (!(resting.has(status) || (status === 'approved' && loaded)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    ({ status, loaded } = await bus.request(RequestSubjects.RegistryGetVersion, ref));
  }
  return status;
}
