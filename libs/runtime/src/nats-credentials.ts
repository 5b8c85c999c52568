import { ConfigError } from '@convergio/config';
import type { NatsCredentials } from '@convergio/messaging';

/** The NATS settings of NatsEnv that say who a process is on the bus. */
export interface NatsLoginEnv {
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_NKEY_SEED?: string;
}

/**
 * The credentials a process sends to NATS: NATS_NKEY_SEED, or NATS_PASSWORD for NATS_USER (the
 * process's own name by default, `registry` or `provisioner`, as deploy/nats/nats.conf names its
 * users), or none.
 * @throws ConfigError when both a password and a seed are set, or a user without a password.
 */
export function natsCredentials(env: NatsLoginEnv, service: string): NatsCredentials | undefined {
  const issue = (variable: string, expected: string) =>
    new ConfigError([{ variable, expected, received: '(set)' }]);
  if (env.NATS_NKEY_SEED !== undefined) {
    if (env.NATS_PASSWORD !== undefined)
      throw issue('NATS_PASSWORD', 'unset when NATS_NKEY_SEED is set (one way to log in)');
    if (env.NATS_USER !== undefined)
      throw issue('NATS_USER', 'unset when NATS_NKEY_SEED is set (the seed names the user)');
    return { nkeySeed: env.NATS_NKEY_SEED };
  }
  if (env.NATS_PASSWORD !== undefined)
    return { user: env.NATS_USER ?? service, password: env.NATS_PASSWORD };
  if (env.NATS_USER !== undefined)
    throw issue('NATS_USER', 'set together with NATS_PASSWORD (a user needs its password)');
  return undefined;
}
