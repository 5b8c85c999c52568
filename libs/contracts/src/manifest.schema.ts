import { Type, type Static } from '@sinclair/typebox';
import { describedPattern } from './error-details.js';
import { SEMVER_NUMBERS_FORMAT } from './semver-numbers.js';

/** Plugin versions: semantic versions (`1.2.0`, `2.0.0-beta.1`), at most 64 characters. */
/**
 * A secret id: 1 to 127 letters, digits and dashes, the names Azure Key Vault accepts, so one id
 * names a secret in either store.
 */
export const SECRET_ID_FORM = '1 to 127 letters, digits and dashes (e.g. db-password)';
export const SECRET_ID_PATTERN = describedPattern('^[A-Za-z0-9-]{1,127}$', SECRET_ID_FORM);
/** Largest secret value the embedded store keeps, UTF-8 bytes (Azure Key Vault's own limit). */
export const MAX_SECRET_VALUE_BYTES = 25 * 1024;

export const VERSION_PATTERN = describedPattern(
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$',
  'a semantic version such as 1.2.0 or 2.0.0-beta.1',
);
const SHA256_HEX = '^[0-9a-f]{64}$';
/** The most characters of one dot-separated label of a plugin id. */
const PLUGIN_ID_MAX_LABEL_CHARS = 64;
/** The most dot-separated labels of a plugin id. */
const PLUGIN_ID_MAX_LABELS = 8;
/** The most characters of a plugin id. */
const PLUGIN_ID_MAX_CHARS = 255;
const PLUGIN_ID_LABEL = `[a-z0-9]([a-z0-9-]{0,${PLUGIN_ID_MAX_LABEL_CHARS - 2}}[a-z0-9])?`;
/** Plugin ids: lowercase, dot separated, safe in URLs, subjects and file names. */
const PLUGIN_ID_PATTERN = `^${PLUGIN_ID_LABEL}(\\.${PLUGIN_ID_LABEL}){0,${PLUGIN_ID_MAX_LABELS - 1}}$`;
const PLUGIN_ID_FORM = `lowercase letters, digits and dashes in up to ${PLUGIN_ID_MAX_LABELS} dot-separated labels of at most ${PLUGIN_ID_MAX_LABEL_CHARS} characters, neither starting nor ending with a dash, at most ${PLUGIN_ID_MAX_CHARS} characters in all (e.g. acme.weather)`;
/**
 * A plugin id, wherever one is named (plugin.json, requests, events, the grant policy); its
 * description, made from the limits above, is what a refusal of one says it expects.
 */
export const PluginIdSchema = Type.String({
  pattern: describedPattern(PLUGIN_ID_PATTERN, PLUGIN_ID_FORM),
  maxLength: PLUGIN_ID_MAX_CHARS,
  description: PLUGIN_ID_FORM,
});
/** Export names a capability may point at. */
const FUNCTION_NAME = describedPattern(
  '^[A-Za-z_][A-Za-z0-9_]{0,63}$',
  'a letter or underscore, then letters, digits and underscores, at most 64 characters',
);

const Semver = (description: string) =>
  Type.String({
    pattern: VERSION_PATTERN,
    format: SEMVER_NUMBERS_FORMAT,
    maxLength: 64,
    description: `${description}, each number at most ${Number.MAX_SAFE_INTEGER}`,
  });
const Paths = Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
  minItems: 1,
  maxItems: 64,
  uniqueItems: true,
});
const HttpMethod = Type.Union(
  ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => Type.Literal(m)),
);
const Host = Type.String({ minLength: 1, maxLength: 253, description: 'host name or *.suffix' });

export const HttpRuleSchema = Type.Object(
  {
    host: Host,
    methods: Type.Array(HttpMethod, { minItems: 1, uniqueItems: true }),
    schemes: Type.Optional(
      Type.Array(Type.Union([Type.Literal('https'), Type.Literal('http')]), {
        minItems: 1,
        uniqueItems: true,
      }),
    ),
    ports: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1, uniqueItems: true }),
    ),
    path_prefix: Type.Optional(Type.String({ pattern: '^/', maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** The permission catalog of docs/plugin-author-guide.md; anything not listed is denied. */
export const PermissionsSchema = Type.Object(
  {
    'fs.read': Type.Optional(Type.Object({ paths: Paths }, { additionalProperties: false })),
    'fs.write': Type.Optional(Type.Object({ paths: Paths }, { additionalProperties: false })),
    'net.http': Type.Optional(
      Type.Object(
        { rules: Type.Array(HttpRuleSchema, { minItems: 1, maxItems: 64 }) },
        { additionalProperties: false },
      ),
    ),
    'net.websocket': Type.Optional(
      Type.Object(
        { hosts: Type.Array(Host, { minItems: 1, maxItems: 64, uniqueItems: true }) },
        { additionalProperties: false },
      ),
    ),
    'proc.exec': Type.Optional(
      Type.Object(
        {
          binaries: Type.Array(Type.String({ pattern: '^/', maxLength: 1024 }), {
            minItems: 1,
            maxItems: 32,
            uniqueItems: true,
          }),
        },
        { additionalProperties: false },
      ),
    ),
    'secrets.read': Type.Optional(
      Type.Object(
        {
          ids: Type.Array(Type.String({ pattern: SECRET_ID_PATTERN }), {
            minItems: 1,
            maxItems: 64,
            uniqueItems: true,
          }),
        },
        { additionalProperties: false },
      ),
    ),
    'ui.embed': Type.Optional(Type.Object({}, { additionalProperties: false })),
    'telemetry.emit': Type.Optional(Type.Object({}, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const ToolSchema = Type.Object(
  {
    name: Type.String({ pattern: FUNCTION_NAME }),
    function: Type.String({ pattern: FUNCTION_NAME, description: 'exported Wasm function' }),
    description: Type.String({ minLength: 1, maxLength: 1000 }),
    input_schema: Type.Record(Type.String(), Type.Unknown(), {
      description: 'JSON Schema of the input',
    }),
  },
  { additionalProperties: false },
);

const NamedFunction = Type.Object(
  {
    name: Type.String({ pattern: FUNCTION_NAME }),
    function: Type.String({ pattern: FUNCTION_NAME }),
    description: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);

export const CapabilitiesSchema = Type.Object(
  {
    tools: Type.Optional(Type.Array(ToolSchema, { maxItems: 256 })),
    agents: Type.Optional(Type.Array(NamedFunction, { maxItems: 64 })),
    ui: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: FUNCTION_NAME }),
            entry: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 64 },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Limits a plugin asks for per call; the executor never grants more than the operator allows. */
export const PluginLimitsSchema = Type.Object(
  {
    wall_time_ms: Type.Optional(Type.Integer({ minimum: 1 })),
    fuel: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'CPU budget: loop iterations, entries of functions that may loop or recurse (one unit each per 1000 instructions or part of it), and bulk memory and table work (1 per 16 bytes, 64 per table element, table.grow 1024 per element added plus 1 per element held, memory.grow 8192 per page of the memory after it)',
      }),
    ),
    memory_pages: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65536, description: '64 KiB Wasm pages' }),
    ),
    max_host_calls: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/**
 * Why the plugin asks for each permission, in its author's words (at most 1000 characters
 * each): shown to the admin reviewing the version, never a grant.
 */
export const PermissionReasonsSchema = Type.Partial(
  Type.Object(
    Object.fromEntries(
      Object.keys(PermissionsSchema.properties).map((name) => [
        name,
        Type.String({ minLength: 1, maxLength: 1000 }),
      ]),
    ) as Record<keyof typeof PermissionsSchema.properties, ReturnType<typeof Type.String>>,
    { additionalProperties: false },
  ),
);

/**
 * plugin.json (docs/plugin-author-guide.md). `signing.sha256` binds the manifest to its module and is
 * always required; `signer_id` and `signature` come together and make a plugin trusted.
 */
export const ManifestSchema = Type.Object(
  {
    id: PluginIdSchema,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    version: Semver('plugin version (semver)'),
    author: Type.String({ minLength: 1, maxLength: 200 }),
    license: Type.String({ minLength: 1, maxLength: 100 }),
    min_core_version: Semver('oldest core version the plugin runs on'),
    entrypoint: Type.String({ pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]*\\.wasm$', maxLength: 255 }),
    capabilities: CapabilitiesSchema,
    permissions: PermissionsSchema,
    permission_reasons: Type.Optional(PermissionReasonsSchema),
    limits: Type.Optional(PluginLimitsSchema),
    signing: Type.Object(
      {
        sha256: Type.String({ pattern: SHA256_HEX }),
        signer_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        signature: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
      },
      {
        additionalProperties: false,
        dependencies: { signer_id: ['signature'], signature: ['signer_id'] },
      },
    ),
  },
  { additionalProperties: false },
);

export type Manifest = Static<typeof ManifestSchema>;
export type Permissions = Static<typeof PermissionsSchema>;
export type PermissionName = keyof Permissions;
export type HttpRule = Static<typeof HttpRuleSchema>;
export type Tool = Static<typeof ToolSchema>;
export type PluginLimits = Static<typeof PluginLimitsSchema>;

/** Every permission of the catalog. */
export const PERMISSION_NAMES: readonly PermissionName[] = Object.keys(
  PermissionsSchema.properties,
) as PermissionName[];

/** Permissions that need an admin's approval (docs/plugin-author-guide.md). */
export const HIGH_RISK_PERMISSIONS: readonly PermissionName[] = [
  'net.http',
  'net.websocket',
  'fs.write',
  'proc.exec',
  'secrets.read',
];
