import type { MainThreadOps } from '@convergio/sandbox';
import { createNetMainThreadOps } from './net/net-main-ops.js';
import { systemDnsResolver } from './net/dns-servers-resolver.js';
import type { Resolver } from './net/pinned-address.js';

/**
 * The operations host functions run on the main thread (network I/O); names are resolved with
 * `resolve` (the system's DNS servers and /etc/hosts unless the operator names DNS servers).
 */
export const createMainThreadOps = (resolve: Resolver = systemDnsResolver()): MainThreadOps => ({
  ...createNetMainThreadOps(resolve),
});
