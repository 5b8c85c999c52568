import type { HostEnvironment, HostFunctionTable } from '@convergio/sandbox';

/**
 * `secret_get` goes through the secret broker, which the secrets issue builds; until
 * then every call is refused (and recorded) with a code the plugin can recognise.
 */
export function secretHostFunctions(env: HostEnvironment): HostFunctionTable {
  return {
    secret_get: (input) => {
      const id =
        typeof (input as { id?: unknown })?.id === 'string' ? (input as { id: string }).id : '';
      return env.deny('secrets.read', id, 'the secret broker is not available yet');
    },
  };
}
