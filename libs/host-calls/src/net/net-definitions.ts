import type { PermissionName } from '@convergio/contracts';
import { decideHttpRequest, decideWebSocket } from '@convergio/policy';
import type { HostEnvironment } from '@convergio/sandbox';
import { hostError, refuse, type HostCallOutcome } from '../host-call-result.js';
import {
  ALLOWED,
  defineHostFunction,
  type HostCallDecision,
  type HostFunctionDefinition,
} from '../host-function-definition.js';
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

type NetCapability = Extract<PermissionName, 'net.http' | 'net.websocket'>;

/**
 * A network host function: refused in the worker, without crossing threads, when plainly not
 * granted; then run on the main thread, where the address is resolved and checked and every
 * redirect hop decided. A refusal from the main thread comes back as `{denied}`.
 */
function netFunction<Input>(
  op: string,
  capability: NetCapability,
  parse: (input: unknown) => Parsed<Input>,
  decide: (value: Input, env: HostEnvironment) => HostCallDecision = () => ALLOWED,
): HostFunctionDefinition<HostEnvironment, Input> {
  return defineHostFunction<HostEnvironment, Input>({
    capability,
    target: (input) => {
      const url = (input as { url?: unknown } | null)?.url;
      return typeof url === 'string' ? url.slice(0, 512) : '';
    },
    bind: (env) => env,
    admit: (env) => (env.grants[capability] ? null : `no ${capability} permission granted`),
    parse: (input) => {
      const parsed = parse(input);
      return parsed.ok ? parsed.value : hostError('invalid_input', parsed.message);
    },
    decide,
    run: (request, env) => callMain(env, op, capability, request),
  });
}

function callMain(
  env: HostEnvironment,
  op: string,
  capability: NetCapability,
  request: unknown,
): HostCallOutcome {
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
    const refusal = (result as { denied?: { reason?: unknown; target?: unknown } } | null)?.denied;
    if (!refusal) return result;
    return refuse(
      typeof refusal.target === 'string' ? refusal.target : '',
      typeof refusal.reason === 'string' ? refusal.reason : 'refused',
    );
  } catch (e) {
    const message =
      e instanceof Error ? e.message : typeof e === 'string' ? e : 'the main thread failed';
    return hostError('network_error', `network error: ${message.slice(0, 300)}`);
  }
}

const refusedUnless = (
  d: { allowed: true } | { allowed: false; reason: string; target: string },
): HostCallDecision =>
  d.allowed ? ALLOWED : { allowed: false, reason: d.reason, target: d.target };

/** `http_request`: see docs/plugin-abi.md. */
export const httpRequestFunction = netFunction(
  'http_request',
  'net.http',
  parseHttpRequestInput,
  (req, env) => refusedUnless(decideHttpRequest(req, env.grants['net.http'], env.policy)),
);
/** `ws_connect`: see docs/plugin-abi.md. */
export const wsConnectFunction = netFunction(
  'ws_connect',
  'net.websocket',
  parseWsConnectInput,
  (req, env) => refusedUnless(decideWebSocket(req.url, env.grants['net.websocket'], env.policy)),
);
/** `ws_send`. */
export const wsSendFunction = netFunction('ws_send', 'net.websocket', parseWsSendInput);
/** `ws_recv`. */
export const wsRecvFunction = netFunction('ws_recv', 'net.websocket', parseWsRecvInput);
/** `ws_close`. */
export const wsCloseFunction = netFunction('ws_close', 'net.websocket', parseWsCloseInput);
