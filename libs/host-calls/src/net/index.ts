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
  HttpRequestPayload,
  HttpRequestResult,
  HttpResponseResult,
} from './http-request.op.js';
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
export {
  closeInstanceSockets,
  MAX_SOCKETS_PER_CALL,
  type WebSocketPayload,
} from './websocket.ops.js';
