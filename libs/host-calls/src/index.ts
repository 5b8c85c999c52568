export { createHostFunctions, HOST_FUNCTION_NAMES } from './host-functions.js';
export { createMainThreadOps } from './main-thread-ops.js';
export { closeInstanceSockets } from './net/index.js';
export {
  dnsServersResolver,
  systemDnsResolver,
  type ResolveOptions,
  type Resolver,
} from './net/index.js';
export { createSandboxServices, type SandboxServicesOptions } from './sandbox-services.js';
export { SECRET_GET_OP } from './secrets/index.js';
