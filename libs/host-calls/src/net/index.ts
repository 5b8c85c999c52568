export {
  httpRequestFunction,
  wsCloseFunction,
  wsConnectFunction,
  wsRecvFunction,
  wsSendFunction,
} from './net-definitions.js';
export { dnsServersResolver, systemDnsResolver } from './dns-servers-resolver.js';
export type { ResolveOptions, Resolver } from './pinned-address.js';
export { closeInstanceSockets } from './websocket.ops.js';
