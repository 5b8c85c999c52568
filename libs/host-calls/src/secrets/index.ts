import { refuse } from '../host-call-result.js';
import { allow, defineHostFunction } from '../host-function-definition.js';

const secretTarget = (input: unknown): string => {
  const id = (input as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : '';
};

/**
 * `secret_get {id}` goes through the secret broker, which the secrets issue builds; until then
 * every call is refused (and recorded), granted or not, with a code the plugin can recognise.
 */
export const secretGetFunction = defineHostFunction<null, never>({
  capability: 'secrets.read',
  target: secretTarget,
  bind: () => null,
  admit: () => null,
  parse: (input) => refuse(secretTarget(input), 'the secret broker is not available yet'),
  decide: allow,
  run: () => null,
});
