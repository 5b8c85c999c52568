import { ConfigError } from '@convergio/config';
import { natsCredentials } from './nats-credentials.js';

const SEED = `SU${'A'.repeat(56)}`;

describe('natsCredentials', () => {
  it.each([
    ['nothing set: no credentials', {}, undefined],
    [
      'a password: the service name as user',
      { NATS_PASSWORD: 'pw' },
      { user: 'registry', password: 'pw' },
    ],
    [
      'a user and password',
      { NATS_USER: 'reg-eu', NATS_PASSWORD: 'pw' },
      { user: 'reg-eu', password: 'pw' },
    ],
    ['an NKEY seed', { NATS_NKEY_SEED: SEED }, { nkeySeed: SEED }],
  ])('%s', (_what, env, expected) => {
    expect(natsCredentials(env, 'registry')).toEqual(expected);
  });

  it.each([
    ['a seed and a password', { NATS_NKEY_SEED: SEED, NATS_PASSWORD: 'pw' }, 'NATS_PASSWORD'],
    ['a seed and a user', { NATS_NKEY_SEED: SEED, NATS_USER: 'registry' }, 'NATS_USER'],
    ['a user without password', { NATS_USER: 'registry' }, 'NATS_USER'],
  ])('refuses %s with a config error that hides the values', (_what, env, variable) => {
    const error = (() => {
      try {
        return natsCredentials(env, 'registry');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'config_invalid', issues: [{ variable }] });
    expect(String((error as Error).message)).not.toMatch(/pw|SUAAA/);
  });
});
