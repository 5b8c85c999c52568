import type { MainThreadOps } from '@convergio/sandbox';
import { createNetMainThreadOps } from './net/net-main-ops.js';
import { systemResolver, type Resolver } from './net/pinned-address.js';

/**
 * The operations host functions run on the main thread (network I/O); names are resolved with
 * `resolve` (the system resolver unless the operator names DNS servers).
 */
export const createMainThreadOps = (resolve: Resolver = systemResolver): MainThreadOps => ({
  ...createNetMainThreadOps(resolve),
});
