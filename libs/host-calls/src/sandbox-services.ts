// Loaded by each sandbox process (libs/sandbox ProcessSandboxRuntime): what runs on its main
// thread for the host functions of the plugin it hosts.
import type { ExecutorLink, SandboxServices } from '@convergio/sandbox';
import { createMainThreadOps } from './main-thread-ops.js';
import { closeInstanceSockets, dnsServersResolver, systemDnsResolver } from './net/index.js';
import { createSecretServices } from './secrets/index.js';

/** Options of {@link createSandboxServices}: plain data, sent by the executor. */
export interface SandboxServicesOptions {
  /** The only DNS servers plugin network calls may ask; null: the system resolver. */
  dnsServers: string[] | null;
}

/**
 * Network operations for the plugin's host functions, and secret reads, which go through
 * `executor`; when a call ends, its websockets are closed and its secret refusals and
 * `not_found` answers forgotten (ADR 0028).
 */
export function createSandboxServices(
  options: SandboxServicesOptions,
  executor: ExecutorLink,
): SandboxServices {
  const secrets = createSecretServices(executor);
  return {
    ops: {
      ...createMainThreadOps(
        // c-ares, a channel per resolution: never the libuv thread pool other plugins' calls share.
        options.dnsServers ? dnsServersResolver(options.dnsServers) : systemDnsResolver(),
      ),
      ...secrets.ops,
    },
    onCallEnd: (instance) => {
      closeInstanceSockets(instance);
      secrets.onCallEnd(instance);
    },
  };
}
