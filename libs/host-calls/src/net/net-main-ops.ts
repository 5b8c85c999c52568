import type { MainThreadOps } from '@convergio/sandbox';
import { httpRequestOp } from './http-request.op.js';
import { systemDnsResolver } from './dns-servers-resolver.js';
import type { WsCloseInput } from './net-inputs.js';
import type {
  DecidedHttpRequest,
  DecidedWsConnect,
  WsRecvRequest,
  WsSendRequest,
} from './net-requests.js';
import type { Resolver } from './pinned-address.js';
import { wsCloseOp, wsConnectOp, wsRecvOp, wsSendOp } from './websocket.ops.js';

/**
 * The main-thread side of the network host functions. Each op takes the request its host
 * function parsed and decided in the worker (net-requests.ts), and decides only on what the
 * network answers. The plugin identity used to file sockets, its operator policy and its grants
 * come from the sandbox's `context`, never from the payload. Names are resolved by `resolve`, by
 * default the system's DNS servers and /etc/hosts as read now.
 */
export function createNetMainThreadOps(resolve: Resolver = systemDnsResolver()): MainThreadOps {
  return {
    http_request: (payload, context) =>
      httpRequestOp(payload as DecidedHttpRequest, context, resolve),
    ws_connect: (payload, context) => wsConnectOp(payload as DecidedWsConnect, context, resolve),
    ws_send: (payload, context) => wsSendOp(payload as WsSendRequest, context),
    ws_recv: (payload, context) => wsRecvOp(payload as WsRecvRequest, context),
    ws_close: (payload, context) => wsCloseOp(payload as WsCloseInput, context),
  };
}
