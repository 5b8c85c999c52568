export {
  httpRequestFunction,
  wsCloseFunction,
  wsConnectFunction,
  wsRecvFunction,
  wsSendFunction,
} from './net-definitions.js';
export { createNetMainThreadOps } from './net-main-ops.js';
export type {
  DeniedResult,
  ErrorResult,
  HttpRequestResult,
  HttpResponseResult,
} from './http-request.op.js';
export type {
  DecidedHttpRequest,
  DecidedWsConnect,
  HttpOpPayload,
  NetOpPayload,
} from './net-requests.js';
export type {
  HttpRequestInput,
  WsCloseInput,
  WsConnectInput,
  WsRecvInput,
  WsSendInput,
} from './net-inputs.js';
export { dnsServersResolver, systemDnsResolver } from './dns-servers-resolver.js';
export { parseHostsFile, readHostsFile, type HostsTable } from './hosts-file.js';
export type { ResolveOptions, Resolver } from './pinned-address.js';
export { closeInstanceSockets, MAX_SOCKETS_PER_CALL } from './websocket.ops.js';
