import type { Writable } from 'node:stream';
import { loadConfig } from '@convergio/config';
import {
  openNatsConnection,
  provisionEventStream,
  type StreamProvisioning,
} from '@convergio/messaging';
import { natsCredentials } from '@convergio/runtime';
import { ProvisionerConfig } from './config/provisioner.config.js';

/** Its NATS user in deploy/nats/nats.conf, and its inbox prefix. */
const NAME = 'provisioner';

/**
 * The provisioning step: creates the event stream of `BUS_PREFIX`, or updates it to exactly this
 * release's subjects and limits, logged in as `provisioner` (NATS_PASSWORD or NATS_NKEY_SEED;
 * none on a server without auth). Prints what it did on `out`, or why it failed on `err`.
 * @returns the exit status: 0 done, 1 refused (configuration, login, permissions, server)
 */
export async function runProvisioning(
  env: NodeJS.ProcessEnv,
  out: Writable,
  err: Writable,
): Promise<number> {
  try {
    const config = loadConfig(ProvisionerConfig, env);
    const nc = await openNatsConnection({
      url: config.NATS_URL,
      name: NAME,
      credentials: natsCredentials(config, NAME),
    });
    try {
      out.write(`${describe(await provisionEventStream(nc, config.BUS_PREFIX))}\n`);
    } finally {
      await nc.close();
    }
    return 0;
  } catch (error) {
    err.write(`${NAME}: ${reason(error)}\n`);
    return 1;
  }
}

function describe(p: StreamProvisioning): string {
  const release = `the ${p.subjects.length} event subjects and the limits of this release`;
  if (p.outcome === 'created') return `created the event stream ${p.stream} with ${release}`;
  if (p.outcome === 'unchanged') return `the event stream ${p.stream} already has ${release}`;
  const list = (subjects: readonly string[]) => (subjects.length ? subjects.join(', ') : 'none');
  return `updated the event stream ${p.stream} to ${release}; added: ${list(p.added)}; removed: ${list(p.removed)}`;
}

/** The error's message, and its cause's (nats.js wraps a permissions violation in a RequestError). */
function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
