import { Type } from '@sinclair/typebox';
import { Secret } from '@convergio/config';

/** Variables every distributed service reads. */
export const DistributedEnv = {
  NATS_URL: Type.String({
    pattern: '^(nats|tls)://',
    default: 'nats://127.0.0.1:4222',
    description: 'NATS server with JetStream, e.g. nats://127.0.0.1:4222',
  }),
  BUS_PREFIX: Type.String({
    pattern: '^[a-z][a-z0-9_]{0,31}$',
    default: 'convergio',
    description: 'prefix of every NATS subject and of the event stream',
  }),
  DATABASE_URL: Secret(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/convergio',
    }),
  ),
};

/** Where content-addressed artifacts (Wasm modules) live; shared by registry, verification and executor. */
export const ArtifactEnv = {
  ARTIFACT_DIR: Type.String({
    minLength: 1,
    default: './data/artifacts',
    description: 'folder of the content-addressed artifact store',
  }),
};

/** The HTTP port of a service (health, readiness; the API for the gateway). */
export const portEnv = (port: number) => ({
  PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: port,
    description: 'HTTP port (0 picks a free one)',
  }),
});
