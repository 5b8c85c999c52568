export { netHostFunctions } from './net-host-functions.js';
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
export { dnsServersResolver } from './dns-servers-resolver.js';
export { systemResolver, type Resolver } from './pinned-address.js';
export {
  closeInstanceSockets,
  MAX_SOCKETS_PER_CALL,
  type WebSocketPayload,
} from './websocket.ops.js';
