import { Type } from '@sinclair/typebox';
import { Secret } from '@convergio/config';
import { DEFAULT_OUTBOX_SETTINGS } from '@convergio/messaging';
import { DEFAULT_INPUT_SCHEMA_BOUNDS, type InputSchemaBounds } from '@convergio/manifest';
import { LoggingEnv } from '@convergio/observability';

/** Where NATS is and who a process is on it: every distributed service, and the provisioner. */
export const NatsEnv = {
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
  NATS_USER: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      description:
        'NATS user (deploy/nats/nats.conf has one per service, and the provisioner); default the process name (gateway, ..., provisioner) when NATS_PASSWORD is set',
    }),
  ),
  NATS_PASSWORD: Type.Optional(
    Secret(
      Type.String({
        minLength: 1,
        description: 'password of NATS_USER; unset with NATS_NKEY_SEED or on a server without auth',
      }),
    ),
  ),
  NATS_NKEY_SEED: Type.Optional(
    Secret(
      Type.String({
        pattern: '^SU[A-Z2-7]{56}$',
        description:
          'NKEY user seed (SU...) whose public key nats.conf lists for this process; instead of NATS_PASSWORD',
      }),
    ),
  ),
};

/** Variables every distributed service reads. */
export const DistributedEnv = {
  ...NatsEnv,
  DATABASE_URL: Secret(
    Type.String({
      pattern: '^postgres(ql)?://',
      description:
        "PostgreSQL URL of the login the service works as, e.g. postgres://convergio_registry@127.0.0.1:5432/convergio; one login per service (deploy/postgres/logins.sql), so none reads another's tables",
    }),
  ),
};

/** How a service's transactional outbox treats an event NATS keeps refusing (ADR 0016). */
export const OutboxEnv = {
  OUTBOX_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: DEFAULT_OUTBOX_SETTINGS.maxAttempts,
    description:
      'failed publishes of one event, each caused by the event itself (a subject the stream lacks or this NATS user may not publish, a body over the size limit, a stored row that no longer parses), after which it is set aside (dead-lettered) in the outbox table for an operator; the waits between attempts double from 1 s up to 1 h. NATS being unreachable counts no attempt',
  }),
};

/** Where content-addressed artifacts (Wasm modules) live; shared by registry, verification and executor. */
export const ArtifactEnv = {
  ARTIFACT_DIR: Type.String({
    minLength: 1,
    default: './data/artifacts',
    description: 'folder of the content-addressed artifact store',
  }),
};

/**
 * How long a client may take to send a request, and stay silent on its connection (slow-request
 * attacks hold a connection otherwise); every service's HTTP port. See {@link HttpTimeouts}.
 */
export const HttpConnectionEnv = {
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 24 * 3600 * 1000,
    default: 300_000,
    description:
      'time a client gets to send one whole request, from its first byte to the last of its body, ms; its headers get at most 60 s of it. A request not received in time is answered 408 request_timeout and its connection closed (within a second). Allow the largest submission (GATEWAY_MAX_MODULE_BYTES, GATEWAY_MAX_SBOM_BYTES and GATEWAY_MAX_MANIFEST_BYTES together) over the slowest client link served: the default 5 min carries the default 20.3 MiB at 0.6 Mbit/s. The time the server then takes to answer (a ?wait, an invoke) is not counted',
  }),
  HTTP_IDLE_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 24 * 3600 * 1000,
    default: 60_000,
    description:
      'longest pause in which no byte moves on a connection while its client owes them (sending a request, or reading an answer), ms; the connection is then closed: a request whose body paused is first answered 408 request_timeout, one still in its headers and an answer not read are dropped. Never counted while the server works on a received request (a ?wait of up to 120 s, an invoke or batch); between requests a kept-alive connection is closed after 72 s',
  }),
  HTTP_MAX_CONNECTIONS: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 4096,
    description:
      "connections the service's HTTP port holds at once; more are closed as they arrive. Keep it under the process's open-file limit (ulimit -n) with room for the database, NATS and, on the executor, the sandbox processes' sockets. One connection holds at most 8 requests received and not yet answered (HTTP/1.1 pipelining); a ninth closes it",
  }),
};

/**
 * Where a service listens for HTTP (health, readiness, metrics; the API for the gateway), how long
 * a client gets to send a request ({@link HttpConnectionEnv}) and how it logs. Loopback by default:
 * the container image sets `HOST=0.0.0.0`.
 */
export const serviceEnv = (port: number) => ({
  PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: port,
    description: 'HTTP port (0 picks a free one)',
  }),
  HOST: Type.String({
    minLength: 1,
    default: '127.0.0.1',
    description: 'interface to listen on: 127.0.0.1 (the default) or 0.0.0.0 for every interface',
  }),
  ...HttpConnectionEnv,
  ...LoggingEnv,
});

/**
 * How large and deep a tool's `input_schema` may be: the gateway refuses a larger one with 400,
 * verification rejects it, and the executor refuses to check input against it (set them alike on
 * all three).
 */
export const InputSchemaEnv = {
  INPUT_SCHEMA_MAX_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 1024 * 1024,
    default: DEFAULT_INPUT_SCHEMA_BOUNDS.maxBytes,
    description:
      'largest input_schema of a tool, bytes of its JSON; the gateway, verification and the executor hold schemas to it (set it alike on the three): the gateway refuses a larger one with 400, and calls of an approved tool whose schema is larger fail with input_schema_invalid',
  }),
  INPUT_SCHEMA_MAX_DEPTH: Type.Integer({
    minimum: 2,
    maximum: 128,
    default: DEFAULT_INPUT_SCHEMA_BOUNDS.maxDepth,
    description:
      'deepest nesting of objects and arrays in an input_schema of a tool (the schema is level 1), held like INPUT_SCHEMA_MAX_BYTES; GATEWAY_MAX_JSON_DEPTH bounds the whole plugin.json, where a schema starts at level 5',
  }),
};

/** The {@link InputSchemaBounds} of a validated environment holding {@link InputSchemaEnv}. */
export const inputSchemaBoundsOf = (env: {
  INPUT_SCHEMA_MAX_BYTES: number;
  INPUT_SCHEMA_MAX_DEPTH: number;
}): InputSchemaBounds => ({
  maxBytes: env.INPUT_SCHEMA_MAX_BYTES,
  maxDepth: env.INPUT_SCHEMA_MAX_DEPTH,
});

/** How long a client gets to send a request and may pause on its connection ({@link HttpConnectionEnv}). */
export interface HttpTimeouts {
  /** A whole request, first byte to last, ms; its headers get at most 60 s of it. */
  requestMs: number;
  /** The longest pause while the client owes bytes (sending, or reading an answer), ms. */
  idleMs: number;
}

/** The {@link HttpTimeouts} of a validated environment holding {@link HttpConnectionEnv}. */
export const httpTimeoutsOf = (env: {
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_IDLE_TIMEOUT_MS: number;
}): HttpTimeouts => ({ requestMs: env.HTTP_REQUEST_TIMEOUT_MS, idleMs: env.HTTP_IDLE_TIMEOUT_MS });
