import { SECRET_ID_PATTERN } from '@convergio/contracts';
import { cutMarked } from '@convergio/policy';
import type { ExecutorLink, HostEnvironment, MainThreadOps } from '@convergio/sandbox';
import { hostError } from '../host-call-result.js';
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
 * by the broker as permission.denied: `permission_denied`). No such secret: `not_found`; the
 * store failed: `io_error`. A released value is redacted from everything the plugin emits.
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
  run: (id, env) => env.callMain(SECRET_GET_OP, { id }),
});

/**
 * The main-thread side of `secret_get`: asks the executor and records a released value, so the
 * worker redacts it from the plugin's log lines and telemetry.
 */
export const createSecretMainThreadOps = (executor: ExecutorLink): MainThreadOps => ({
  [SECRET_GET_OP]: async (payload, context) => {
    const result = (await executor(SECRET_GET_OP, payload)) as { value?: unknown };
    if (typeof result.value === 'string') context.releaseSecret?.(result.value);
    return result;
  },
});
