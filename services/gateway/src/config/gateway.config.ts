import { Type, type Static } from '@sinclair/typebox';
import { Secret } from '@convergio/config';
import type { BusBoundSetting } from '@convergio/messaging';
import {
  ArtifactEnv,
  DistributedEnv,
  InputSchemaEnv,
  OutboxEnv,
  serviceEnv,
} from '@convergio/runtime';

const KiB = 1024;
const MiB = 1024 * KiB;
const bytes = (minimum: number, maximum: number, def: number, description: string) =>
  Type.Integer({ minimum, maximum, default: def, description });

/**
 * What the gateway takes from a client; larger or deeper input is refused with 413 or 400 naming
 * the limit and its variable, before anything is stored, recorded or run.
 */
export const GatewayLimitsEnv = {
  GATEWAY_MAX_MANIFEST_BYTES: bytes(
    KiB,
    16 * MiB,
    256 * KiB,
    'largest plugin.json (the multipart part manifest) a submission may carry, bytes; every event of the version carries it; in distributed mode at most the NATS max_payload less 65536 (the gateway refuses to start otherwise): it travels to the registry in one request',
  ),
  GATEWAY_MAX_MODULE_BYTES: bytes(
    KiB,
    1024 * MiB,
    16 * MiB,
    'largest WebAssembly module (the multipart part module) a submission may carry, bytes',
  ),
  GATEWAY_MAX_SBOM_BYTES: bytes(
    KiB,
    256 * MiB,
    4 * MiB,
    'largest SBOM (the optional multipart part sbom) a submission may carry, bytes',
  ),
  GATEWAY_MAX_INVOKE_BYTES: bytes(
    KiB,
    64 * MiB,
    256 * KiB,
    'largest JSON request body, bytes: an invoke or invoke-batch request with its input (other JSON bodies are far smaller); in distributed mode at most the NATS max_payload less 65536 (the gateway refuses to start otherwise): it travels to the executor in one request',
  ),
  GATEWAY_MAX_JSON_DEPTH: Type.Integer({
    minimum: 8,
    maximum: 512,
    default: 64,
    description:
      'deepest nesting of objects and arrays in a JSON request body or a plugin.json (where a tool input_schema starts at level 5; INPUT_SCHEMA_MAX_DEPTH bounds the schema itself)',
  }),
  ...InputSchemaEnv,
};

/** The limits the gateway enforces on what clients send (see {@link GatewayLimitsEnv}). */
export type GatewayLimits = Static<ReturnType<typeof Type.Object<typeof GatewayLimitsEnv>>>;
/**
 * The limits that bound a message the gateway sends on the bus (checkFitsBus): an invoke's body
 * travels to the executor in one request, a plugin.json to the registry in one request (the
 * module and the SBOM are staged in the artifact store and travel by hash).
 */
export function gatewayBusBounds(limits: GatewayLimits): BusBoundSetting[] {
  return [
    {
      variable: 'GATEWAY_MAX_INVOKE_BYTES',
      bytes: limits.GATEWAY_MAX_INVOKE_BYTES,
      carries: 'an invoke or invoke-batch body (sent on to the executor in one request)',
    },
    {
      variable: 'GATEWAY_MAX_MANIFEST_BYTES',
      bytes: limits.GATEWAY_MAX_MANIFEST_BYTES,
      carries:
        "a plugin.json (sent on to the registry in one request, and in each of its version's events)",
    },
  ];
}

/** Injection token of the {@link GatewayLimits}. */
export const GATEWAY_LIMITS = Symbol('GATEWAY_LIMITS');

/**
 * How the gateway protects its database and memory from floods: failed authentications per
 * client address, and submissions received at once.
 */
const GatewayGuardsEnv = {
  GATEWAY_AUTH_FAILURE_BURST: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 20,
    description:
      'failed authentications (401) a client address may make at once; beyond them, and until GATEWAY_AUTH_FAILURES_PER_MINUTE gives some back, every request of that address that needs a key is refused 429 rate_limited with Retry-After, before the database is asked (counted per gateway replica)',
  }),
  GATEWAY_AUTH_FAILURES_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 60,
    description:
      'failed authentications a client address is given back per minute (the refill of GATEWAY_AUTH_FAILURE_BURST)',
  }),
  GATEWAY_AUTH_FAILURE_ADDRESSES: Type.Integer({
    minimum: 100,
    maximum: 10_000_000,
    default: 10_000,
    description:
      'client addresses whose failed authentications are counted at most (about 100 bytes each); past it the address that failed least recently is forgotten',
  }),
  GATEWAY_TRUSTED_PROXIES: Type.String({
    default: '',
    description:
      "comma-separated addresses and CIDR ranges (10.0.0.0/8, ::1) of reverse proxies whose X-Forwarded-For names the client address that failed authentications are counted under; empty (the default): the address is the connecting socket's, and X-Forwarded-For is ignored",
  }),
  GATEWAY_MAX_CONCURRENT_SUBMISSIONS: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 8,
    description:
      "plugin submissions (POST /v1/plugins) the gateway receives at once; each holds its parts in memory (up to the three part limits together: 8 at the default limits hold at most 162 MiB), and one more is refused 503 unavailable with Retry-After. Shared among publishers under contention: when all are taken, a publisher holding at least two fewer than another takes the place of that publisher's latest upload still being sent, which is refused 503 unavailable",
  }),
};

/** Variables of the gateway shared by both modes. */
export const GatewayEnv = {
  CONVERGIO_ADMIN_KEY: Type.Optional(
    Secret(
      Type.String({
        minLength: 24,
        description:
          'admin API key to create at start (otherwise one is generated into ADMIN_KEY_FILE)',
      }),
    ),
  ),
  ADMIN_KEY_FILE: Type.String({
    minLength: 1,
    default: './data/admin-key',
    description: 'where a generated admin key is written',
  }),
  API_KEY_ROTATION_GRACE_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 7 * 24 * 3600,
    default: 3600,
    description:
      'how long the old secret of a rotated API key (POST /v1/api-keys/{id}/rotate) is still accepted, seconds',
  }),
  ...GatewayLimitsEnv,
  ...GatewayGuardsEnv,
};

/** The gateway's settings in either mode. */
export type GatewaySettings = Static<ReturnType<typeof Type.Object<typeof GatewayEnv>>>;

/** Environment of the gateway in distributed mode. */
export const GatewayConfig = Type.Object({
  ...DistributedEnv,
  ...OutboxEnv,
  ...ArtifactEnv,
  ...serviceEnv(3000),
  ...GatewayEnv,
});
