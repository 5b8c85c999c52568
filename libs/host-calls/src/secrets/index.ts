import { SECRET_ID_PATTERN } from '@convergio/contracts';
import { cutMarked } from '@convergio/policy';
import type { ExecutorLink, HostEnvironment, SandboxServices } from '@convergio/sandbox';
import { hostError, refuse } from '../host-call-result.js';
import { allow, defineHostFunction, notGranted } from '../host-function-definition.js';

const secretId = new RegExp(SECRET_ID_PATTERN);
/** The main-thread operation `secret_get` runs, and the executor request it forwards to. */
export const SECRET_GET_OP = 'secret_get';

const secretTarget = (input: unknown): string => {
  const id = (input as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? cutMarked(id, 200) : '';
};

/**
 * `secret_get {id}` → `{value}` (needs secrets.read naming `id`). An id not granted is refused
 * here; a granted one is read by the executor from the secret broker with the version's signed
 * token (ADR 0014), which checks it again and records secret.accessed, or refuses it (recorded
 * by the executor or the broker as permission.denied: `permission_denied`). A refused id is
 * refused again for the rest of the call without asking (recorded here). No such secret:
 * `not_found`, answered again for the rest of the call without asking; the store failed:
 * `io_error`. A released value is redacted from everything the plugin emits.
 */
export const secretGetFunction = defineHostFunction<HostEnvironment, string>({
  capability: 'secrets.read',
  target: secretTarget,
  bind: (env) => env,
  admit: (env) => (env.grants['secrets.read'] ? null : notGranted('secrets.read')),
  parse: (input) => {
    const id = (input as { id?: unknown } | null)?.id;
    return typeof id === 'string' && secretId.test(id)
      ? id
      : hostError('invalid_input', 'id must be a secret id (1 to 127 letters, digits and dashes)');
  },
  decide: (id, env) =>
    env.grants['secrets.read']?.ids.includes(id)
      ? allow(id)
      : { allowed: false, target: id, reason: `secret ${id} is not granted` },
  run: (id, env) => {
    const result = env.callMain(SECRET_GET_OP, { id }) as { denied?: { reason?: unknown } } | null;
    const reason = result?.denied?.reason;
    return typeof reason === 'string' ? refuse(id, reason) : result;
  },
});

/** What the executor answers a `secret_get` (ReplyMap['secrets.read'] in contracts). */
type SecretReply = { value?: unknown; error?: { code?: unknown; message?: unknown } };

/**
 * What a repeat of `secret_get {id}` is answered for the rest of the call after `reply`, or
 * undefined when it must ask again: a refusal as `{denied}` (the worker records each repeat),
 * no such secret as itself. A released value is asked again (the broker checks and records
 * each read), so is `io_error` (the broker or the store may be back).
 */
function lastingAnswer(id: string, reply: SecretReply): unknown {
  const { code, message } = reply.error ?? {};
  if (typeof message !== 'string') return undefined;
  if (code === 'permission_denied') return { denied: { reason: message, target: id } };
  return code === 'not_found' ? reply : undefined;
}

/**
 * The main-thread side of `secret_get`: asks the executor and records a released value, so the
 * worker redacts it from the plugin's log lines and telemetry. A refusal, and a secret the store
 * does not hold, are kept for the rest of the call, by instance (one call at a time) and id,
 * until `onCallEnd` (ADR 0028): a repeat is answered without asking (a refusal as `{denied}`,
 * which the worker records), so a plugin cannot make the executor ask the broker, and the broker
 * its store, for the same secret on each of its host calls.
 */
export function createSecretServices(executor: ExecutorLink): Required<SandboxServices> {
  // Per instance, the answer kept for each id (see lastingAnswer).
  const kept = new Map<string, Map<string, unknown>>();
  const keep = (instance: string, id: string, answer: unknown) =>
    kept.set(instance, (kept.get(instance) ?? new Map<string, unknown>()).set(id, answer));
  return {
    ops: {
      [SECRET_GET_OP]: async (payload, context) => {
        const { id } = payload as { id: string };
        const known = kept.get(context.instance)?.get(id);
        if (known !== undefined) return known;
        const result = (await executor(SECRET_GET_OP, payload)) as SecretReply;
        if (typeof result.value === 'string') context.releaseSecret?.(result.value);
        const lasting = lastingAnswer(id, result);
        // A stopped call's instance is gone, its end reported or about to be: kept now, never freed.
        if (lasting !== undefined && !context.signal.aborted) keep(context.instance, id, lasting);
        return result;
      },
    },
    onCallEnd: (instance) => void kept.delete(instance),
  };
}
