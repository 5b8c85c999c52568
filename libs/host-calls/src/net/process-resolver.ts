import { systemResolver, type Resolver } from './pinned-address.js';

let configured: Resolver = systemResolver;

/**
 * Sets the resolver of this process's network host calls (`mainThreadOps`), as
 * `dns.setServers` does for node:dns: the executor calls it once at boot when its operator
 * names DNS servers. Until then, and otherwise, the system resolver answers.
 */
export function useResolver(resolve: Resolver): void {
  configured = resolve;
}

/** Asks whichever resolver the process is configured with at the time of the call. */
export const processResolver: Resolver = (hostname) => configured(hostname);
