import type { MainThreadOps } from '@convergio/sandbox';
import { httpRequestOp, type HttpRequestPayload } from './http-request.op.js';
import { systemDnsResolver } from './dns-servers-resolver.js';
import type { Resolver } from './pinned-address.js';
import {
  wsCloseOp,
  wsConnectOp,
  wsRecvOp,
  wsSendOp,
  type WebSocketPayload,
} from './websocket.ops.js';

/**
 * The main-thread side of the network host functions. The plugin identity used to file
 * sockets comes from the sandbox's `context`, never from the payload; grants and policy
 * come from the payload the worker side built from its HostEnvironment. Names are resolved
 * by `resolve`, by default the system's DNS servers and /etc/hosts as read now.
 */
export function createNetMainThreadOps(resolve: Resolver = systemDnsResolver()): MainThreadOps {
  return {
    http_request: (payload, context) =>
      httpRequestOp(payload as HttpRequestPayload, context, resolve),
    ws_connect: (payload, context) => wsConnectOp(payload as WebSocketPayload, context, resolve),
    ws_send: (payload, context) => wsSendOp(payload as WebSocketPayload, context),
    ws_recv: (payload, context) => wsRecvOp(payload as WebSocketPayload, context),
    ws_close: (payload, context) => wsCloseOp(payload as WebSocketPayload, context),
  };
}
