import { RequestSubjects, type VersionStatus } from '@convergio/contracts';
import type { BusClient } from '@convergio/messaging';

/** Statuses a version rests in until someone acts; `approved` counts once an executor runs it. */
const SETTLED: ReadonlySet<VersionStatus> = new Set(['pending_approval', 'rejected', 'revoked']);
const POLL_MS = 100;

/** The longest `?wait` a submission may ask for, seconds. */
export const MAX_SUBMIT_WAIT_SECONDS = 120;

/**
 * Asks the registry for a version's status until it is settled (approved and loaded by an
 * executor, so a call made next is served; pending_approval; rejected; revoked) or `seconds`
 * have passed; returns the last status seen. Polling the registry (not listening for events)
 * gives the same answer behind any number of gateways.
 */
export async function settledStatus(
  bus: Pick<BusClient, 'request'>,
  ref: { plugin_id: string; version: string },
  status: VersionStatus,
  seconds: number,
): Promise<VersionStatus> {
  const deadline = Date.now() + seconds * 1000;
  let loaded = false;
  while (!(SETTLED.has(status) || (status === 'approved' && loaded)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    ({ status, loaded } = await bus.request(RequestSubjects.RegistryGetVersion, ref));
  }
  return status;
}
