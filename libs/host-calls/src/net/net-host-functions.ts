import { decideHttpRequest, decideWebSocket } from '@convergio/policy';
import type { HostEnvironment, HostError, HostFunctionTable } from '@convergio/sandbox';
import type { HttpRequestPayload } from './http-request.op.js';
import {
  parseHttpRequestInput,
  parseWsCloseInput,
  parseWsConnectInput,
  parseWsRecvInput,
  parseWsSendInput,
  type Parsed,
} from './net-inputs.js';
import type { WebSocketPayload } from './websocket.ops.js';

type Capability = 'net.http' | 'net.websocket';

const invalid = (message: string): HostError => ({ error: { code: 'invalid_input', message } });

/**
 * The network host functions, run inside the plugin's worker. They refuse without crossing
 * threads what is plainly not granted, then block on the main thread, where the same pure
 * decisions are taken again right before connecting (the authoritative check). A refusal
 * from either side is recorded here, once, through `env.deny`.
 */
export function netHostFunctions(env: HostEnvironment): HostFunctionTable {
  const call = (op: string, capability: Capability, request: unknown): unknown => {
    const grants =
      capability === 'net.http'
        ? { 'net.http': env.grants['net.http'] }
        : { 'net.websocket': env.grants['net.websocket'] };
    const payload: HttpRequestPayload | WebSocketPayload = {
      plugin: env.plugin,
      grants,
      policy: env.policy,
      request,
    };
    try {
      const result = env.callMain(op, payload);
      const refusal = (result as { denied?: { reason?: unknown; target?: unknown } } | null)
        ?.denied;
      if (refusal) {
        const target = typeof refusal.target === 'string' ? refusal.target : '';
        return env.deny(
          capability,
          target,
          typeof refusal.reason === 'string' ? refusal.reason : 'refused',
        );
      }
      return result;
    } catch (e) {
      const message =
        e instanceof Error ? e.message : typeof e === 'string' ? e : 'the main thread failed';
      return {
        error: { code: 'network_error', message: `network error: ${message.slice(0, 300)}` },
      };
    }
  };

  /** A host function for one op: grant present, input well formed, optional pre-check, then the main thread. */
  const hostFunction =
    <T>(
      op: string,
      capability: Capability,
      parse: (input: unknown) => Parsed<T>,
      preCheck?: (value: T) => { reason: string; target: string } | null,
    ) =>
    (input: unknown): unknown => {
      try {
        if (!env.grants[capability]) {
          const url = (input as { url?: unknown } | null)?.url;
          return env.deny(
            capability,
            typeof url === 'string' ? url.slice(0, 512) : '',
            `no ${capability} permission granted`,
          );
        }
        const parsed = parse(input);
        if (!parsed.ok) return invalid(parsed.message);
        const refusal = preCheck?.(parsed.value);
        if (refusal) return env.deny(capability, refusal.target, refusal.reason);
        return call(op, capability, parsed.value);
      } catch (e) {
        // Host functions must never throw (a throw kills the plugin's worker).
        return {
          error: {
            code: 'internal_error',
            message: String((e as Error)?.message ?? e).slice(0, 300),
          },
        };
      }
    };

  return {
    http_request: hostFunction('http_request', 'net.http', parseHttpRequestInput, (req) => {
      const decision = decideHttpRequest(req, env.grants['net.http'], env.policy);
      return decision.allowed ? null : decision;
    }),
    ws_connect: hostFunction('ws_connect', 'net.websocket', parseWsConnectInput, (req) => {
      const decision = decideWebSocket(req.url, env.grants['net.websocket'], env.policy);
      return decision.allowed ? null : decision;
    }),
    ws_send: hostFunction('ws_send', 'net.websocket', parseWsSendInput),
    ws_recv: hostFunction('ws_recv', 'net.websocket', parseWsRecvInput),
    ws_close: hostFunction('ws_close', 'net.websocket', parseWsCloseInput),
  };
}
