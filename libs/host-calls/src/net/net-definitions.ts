import type { PermissionName } from '@convergio/contracts';
import { cutMarked } from '@convergio/policy';
import type { HostEnvironment } from '@convergio/sandbox';
import { hostError, refuse, type HostCallOutcome } from '../host-call-result.js';
import {
  allow,
  defineHostFunction,
  type HostCallDecision,
  type HostFunctionDefinition,
} from '../host-function-definition.js';
import {
  decideHttp,
  decideWsConnect,
  parseHttpRequest,
  parseWsClose,
  parseWsConnect,
  parseWsRecv,
  parseWsSend,
} from './net-requests.js';
import { httpResponseForPlugin, wsMessageForPlugin } from './net-replies.js';

type NetCapability = Extract<PermissionName, 'net.http' | 'net.websocket'>;

/** What a network host function adds to the steps they share. */
interface NetSteps<Input, Decided> {
  parse: (input: unknown, env: HostEnvironment) => HostCallOutcome<Input>;
  decide: (value: Input, env: HostEnvironment) => HostCallDecision<Decided>;
  /** The plugin's form of the op's answer (bytes encoded); by default the answer itself. */
  answer?: (reply: unknown) => unknown;
}

/**
 * A network host function: parsed and decided in the worker, where the plugin's grants are,
 * without crossing threads when refused; then the decided request runs on the main thread,
 * where the address is resolved and checked and every redirect hop decided. A refusal from the
 * main thread comes back as `{denied}`.
 */
function netFunction<Input, Decided>(
  op: string,
  capability: NetCapability,
  { parse, decide, answer = (reply) => reply }: NetSteps<Input, Decided>,
): HostFunctionDefinition<HostEnvironment, Input, Decided> {
  return defineHostFunction<HostEnvironment, Input, Decided>({
    capability,
    target: (input) => {
      const url = (input as { url?: unknown } | null)?.url;
      return typeof url === 'string' ? cutMarked(url, 512) : '';
    },
    bind: (env) => env,
    admit: (env) => (env.grants[capability] ? null : `no ${capability} permission granted`),
    parse,
    decide,
    run: (request, env) => callMain(env, op, request, answer),
  });
}

function callMain(
  env: HostEnvironment,
  op: string,
  request: unknown,
  answer: (reply: unknown) => unknown,
): HostCallOutcome {
  try {
    const result = env.callMain(op, request);
    const refusal = (result as { denied?: { reason?: unknown; target?: unknown } } | null)?.denied;
    if (!refusal) return answer(result);
    return refuse(
      typeof refusal.target === 'string' ? refusal.target : '',
      typeof refusal.reason === 'string' ? refusal.reason : 'refused',
    );
  } catch (e) {
    const message =
      e instanceof Error ? e.message : typeof e === 'string' ? e : 'the main thread failed';
    return hostError('network_error', `network error: ${cutMarked(message, 300)}`);
  }
}

/** `http_request`: see docs/plugin-abi.md. */
export const httpRequestFunction = netFunction('http_request', 'net.http', {
  parse: (input, env) => parseHttpRequest(input, env.policy),
  decide: (request, env) => decideHttp(request, env.grants['net.http'], env.policy),
  answer: httpResponseForPlugin,
});
/** `ws_connect`: see docs/plugin-abi.md. */
export const wsConnectFunction = netFunction('ws_connect', 'net.websocket', {
  parse: (input, env) => parseWsConnect(input, env.policy),
  decide: (request, env) => decideWsConnect(request, env.grants['net.websocket'], env.policy),
});
/** `ws_send`. */
export const wsSendFunction = netFunction('ws_send', 'net.websocket', {
  parse: (input, env) => parseWsSend(input, env.policy),
  decide: allow,
});
/** `ws_recv`. */
export const wsRecvFunction = netFunction('ws_recv', 'net.websocket', {
  parse: (input, env) => parseWsRecv(input, env.policy),
  decide: allow,
  answer: wsMessageForPlugin,
});
/** `ws_close`. */
export const wsCloseFunction = netFunction('ws_close', 'net.websocket', {
  parse: parseWsClose,
  decide: allow,
});
