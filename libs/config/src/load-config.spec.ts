import { Type } from '@sinclair/typebox';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';
import { Secret } from './secret.js';

const schema = Type.Object({
  NATS_URL: Type.String({ format: 'uri', description: 'NATS server URL' }),
  HTTP_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3000 }),
  DEBUG: Type.Boolean({ default: false }),
  MODE: Type.Union([Type.Literal('standalone'), Type.Literal('distributed')], {
    default: 'standalone',
  }),
  REGION: Type.Optional(Type.String({ pattern: '^[a-z]+-[0-9]$' })),
  SIGNING_KEY: Secret(Type.String({ minLength: 32, description: 'Ed25519 seed, hex' })),
});

const validEnv = { NATS_URL: 'nats://127.0.0.1:4222', SIGNING_KEY: 'a'.repeat(64) };

describe('loadConfig', () => {
  it('returns typed values, coerced from strings, with defaults applied and unknown variables ignored', () => {
    const config = loadConfig(schema, {
      ...validEnv,
      HTTP_PORT: '8080',
      DEBUG: 'true',
      PATH: '/usr/bin',
    });

    expect(config).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      HTTP_PORT: 8080,
      DEBUG: true,
      MODE: 'standalone',
      SIGNING_KEY: 'a'.repeat(64),
    });
  });

  it.each(['0x10', '1e3', 'Infinity', ' 8080', '+8080', '8080.0', '08080'])(
    'reads a number only in plain decimal, so %j is refused',
    (text) => {
      expect(captureConfigError({ ...validEnv, HTTP_PORT: text }).message.split('\n')).toContain(
        `  HTTP_PORT: expected integer (1..65535); got ${JSON.stringify(text)}`,
      );
    },
  );

  it.each(['1', 'yes', 'TRUE', ' true'])(
    'reads a boolean only as true or false, so %j is refused',
    (text) => {
      expect(captureConfigError({ ...validEnv, DEBUG: text }).message.split('\n')).toContain(
        `  DEBUG: expected boolean; got ${JSON.stringify(text)}`,
      );
    },
  );

  it('treats an empty variable as unset so the default applies', () => {
    expect(loadConfig(schema, { ...validEnv, HTTP_PORT: '' }).HTTP_PORT).toBe(3000);
  });

  it.each([
    [
      'a missing required variable',
      { NATS_URL: undefined },
      'NATS_URL: expected string (uri) — NATS server URL; got nothing (unset)',
    ],
    [
      'a malformed uri',
      { NATS_URL: 'not a url' },
      'NATS_URL: expected string (uri) — NATS server URL; got "not a url"',
    ],
    [
      'a non-numeric port',
      { HTTP_PORT: 'eighty' },
      'HTTP_PORT: expected integer (1..65535); got "eighty"',
    ],
    [
      'a port out of range',
      { HTTP_PORT: '70000' },
      'HTTP_PORT: expected integer (1..65535); got "70000"',
    ],
    [
      'a value outside the enum',
      { MODE: 'cluster' },
      'MODE: expected one of "standalone", "distributed"; got "cluster"',
    ],
    [
      'a value not matching the pattern',
      { REGION: 'EU' },
      'REGION: expected string (matching /^[a-z]+-[0-9]$/); got "EU"',
    ],
    [
      'a too-short secret',
      { SIGNING_KEY: 'hunter2' },
      'SIGNING_KEY: expected string (>= 32 chars) — Ed25519 seed, hex; got <redacted>',
    ],
  ])('reports %s', (_case, override, line) => {
    const error = captureConfigError({ ...validEnv, ...override });

    expect(error.message.split('\n')).toContain(`  ${line}`);
  });

  it('lists every bad variable on its own line, once each', () => {
    const error = captureConfigError({ NATS_URL: 'nope', HTTP_PORT: 'x', MODE: 'y' });

    expect(error.issues.map((i) => i.variable)).toEqual([
      'NATS_URL',
      'HTTP_PORT',
      'MODE',
      'SIGNING_KEY',
    ]);
    expect(error.message.split('\n')).toHaveLength(1 + 4);
    expect(error.code).toBe('config_invalid');
  });

  it('never prints the value of a secret, whichever way it is marked', () => {
    const marked = Type.Object({
      BY_HELPER: Secret(Type.String({ format: 'uri' })),
      BY_OPTION: Type.String({ format: 'uri', secret: true }),
    });

    const error = captureConfigError({ BY_HELPER: 's3cr3t-one', BY_OPTION: 's3cr3t-two' }, marked);

    expect(error.message).not.toMatch(/s3cr3t/);
    expect(error.issues.map((i) => i.received)).toEqual(['<redacted>', '<redacted>']);
  });
});

function captureConfigError(
  env: NodeJS.ProcessEnv,
  s: Parameters<typeof loadConfig>[0] = schema,
): ConfigError {
  try {
    loadConfig(s, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw ConfigError');
}
