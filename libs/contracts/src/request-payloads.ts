import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  MAX_SECRET_VALUE_BYTES,
  PluginIdSchema,
  SECRET_ID_FORM,
  SECRET_ID_PATTERN,
  VERSION_PATTERN,
} from './manifest.schema.js';
import { SEMVER_NUMBERS_FORMAT } from './semver-numbers.js';
import { FindingSchema, SubmittedByIssuerSchema, TrustSchema } from './event-payloads.js';
import {
  PublicKeySchema,
  SignerIdSchema,
  SignerItemSchema,
  SignerTrustSchema,
  SignedBySchema,
} from './signer.schema.js';
import { ALL_EVENT_SUBJECTS, RequestSubjects } from './subjects.js';
import { DomainError } from './error-codes.js';
import { describedPattern } from './error-details.js';
import { NextCursorSchema, PageCursorSchema, PageLimitSchema } from './page.js';

/** The most keys an approval may carry as the decider's issuance lineage (`decided_by_kin`). */
export const MAX_DECIDER_KIN = 10_000;

/** A plugin version, as a manifest declares it: a semantic version. */
export const VersionSchema = Type.String({
  pattern: VERSION_PATTERN,
  format: SEMVER_NUMBERS_FORMAT,
  maxLength: 64,
  description: `a semantic version such as 1.2.0 or 2.0.0-beta.1, at most 64 characters, each of major, minor and patch at most ${Number.MAX_SAFE_INTEGER}`,
});
const PluginId = PluginIdSchema;
const Version = VersionSchema;
const Json = Type.Unknown();
/** A secret id, as manifests grant it and both stores name it. */
export const SecretIdSchema = Type.String({
  pattern: SECRET_ID_PATTERN,
  maxLength: 127,
  description: SECRET_ID_FORM,
});
const SecretId = SecretIdSchema;
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
/**
 * Where the audit log's sequence numbers (PostgreSQL bigint) can be named: the largest integer a
 * JSON number carries exactly.
 */
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/**
 * A publisher's name: what owns plugin ids. It has no colon, so an owner recorded as
 * `key:<key id>` (ids claimed before publishers existed) can never be a publisher's.
 */
const PUBLISHER_FORM =
  'a publisher name: 1 to 63 lowercase letters, digits and dashes, not starting with a dash';
export const PUBLISHER_PATTERN = describedPattern('^[a-z0-9][a-z0-9-]{0,62}$', PUBLISHER_FORM);
export const PublisherSchema = Type.String({
  pattern: PUBLISHER_PATTERN,
  description: PUBLISHER_FORM,
});
const Owner = Type.String({
  description: 'the publisher owning the id, or `key:<key id>` for an id claimed before publishers',
});

/** Where a review stands; `revoked` once the approved version was revoked. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'revoked'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const VersionStatusSchema = Type.Union(
  ['submitted', 'verified', 'rejected', 'pending_approval', 'approved', 'revoked'].map((s) =>
    Type.Literal(s),
  ),
);
export type VersionStatus = Static<typeof VersionStatusSchema>;

/** A load of an approved version that failed, as the executor reported it (plugin.crashed). */
export const LoadFailureSchema = Type.Object(
  {
    reason: Type.String({ description: 'the crash reason, e.g. trap or load_failed' }),
    message: Type.String(),
    at: Type.String({ format: 'date-time', description: 'when the load failed' }),
  },
  { additionalProperties: false },
);
export type LoadFailure = Static<typeof LoadFailureSchema>;

export const VersionStateSchema = Type.Object({
  plugin_id: PluginId,
  version: Version,
  status: VersionStatusSchema,
  trust: Type.Union([TrustSchema, Type.Null()]),
  module_sha256: Type.String(),
  sbom: Type.Union([Type.Object({ sha256: Sha256, size: Type.Integer() }), Type.Null()], {
    description: 'the SBOM submitted with the version, stored by its hash; null when none was',
  }),
  permissions: Type.Record(Type.String(), Json),
  findings: Type.Array(FindingSchema),
  policy_violations: Type.Array(FindingSchema, {
    description:
      'operator grant policy rules the version breaks since a policy change; while any are listed it does not run',
  }),
  owner: Owner,
  loaded: Type.Boolean({ description: 'whether any executor instance runs the version' }),
  loaded_on: Type.Array(Type.String(), { description: 'the executor instances running it' }),
  load_failure: Type.Union([LoadFailureSchema, Type.Null()], {
    description:
      'why an executor last failed to load the approved version; null once one loads it, or when no load failed',
  }),
  submitted_by: Type.String(),
  submitted_at: Type.String(),
  updated_at: Type.String(),
});
export type VersionState = Static<typeof VersionStateSchema>;

export const PluginSummarySchema = Type.Object({
  plugin_id: PluginId,
  name: Type.String(),
  owner: Owner,
  serving_version: Type.Union([Version, Type.Null()], {
    description: 'the version calls run when they name none; null when none is approved',
  }),
  latest_version: Version,
  latest_status: VersionStatusSchema,
  updated_at: Type.String(),
});

/** One admin's approval of a version that needs two. */
export const ApprovalRecordSchema = Type.Object(
  {
    actor: Type.String({ description: 'the admin API key id' }),
    at: Type.String({ format: 'date-time' }),
    trust: TrustSchema,
    note: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type ApprovalRecord = Static<typeof ApprovalRecordSchema>;

export const ApprovalItemSchema = Type.Object({
  plugin_id: PluginId,
  version: Version,
  status: Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s))),
  trust: TrustSchema,
  signed_by: Type.Union([SignedBySchema, Type.Null()], {
    description: 'the keyring signer that signed the version; null when it is unsigned',
  }),
  high_risk_permissions: Type.Array(Type.String()),
  permissions: Type.Record(Type.String(), Json),
  permission_diff: Type.Object({
    added: Type.Array(Type.String()),
    changed: Type.Array(Type.String()),
    removed: Type.Array(Type.String()),
  }),
  previous_approved_version: Type.Union([Version, Type.Null()]),
  requested_at: Type.String(),
  decided_by: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  submitted_by: Type.Union([Type.String(), Type.Null()], {
    description:
      'the API key id that submitted the version (null for reviews from before it was kept)',
  }),
  submitted_by_issuer: Type.Union([Type.String(), Type.Null()], {
    description:
      'the API key id that issued (created or rotated) the secret that submitted, `gateway` for the bootstrap admin key; null when unknown. That key may not approve the version either',
  }),
  publisher: Type.Union([Type.String(), Type.Null()]),
  findings: Type.Array(FindingSchema, { description: 'what verification found' }),
  permission_reasons: Type.Record(Type.String(), Type.String(), {
    description: "why the plugin asks for each permission, from its manifest's permission_reasons",
  }),
  approvals_required: Type.Integer({
    minimum: 1,
    description: '2 for proc.exec or a trust above untrusted, from two different admins',
  }),
  approvals: Type.Array(ApprovalRecordSchema, { description: 'admin approvals recorded so far' }),
});
export type ApprovalItem = Static<typeof ApprovalItemSchema>;

export const AuditEventSchema = Type.Object({
  seq: Type.Integer(),
  event_id: Type.String(),
  type: Type.String(),
  source: Type.String(),
  plugin_id: Type.Union([Type.String(), Type.Null()]),
  version: Type.Union([Type.String(), Type.Null()]),
  correlation_id: Type.String(),
  occurred_at: Type.String(),
  recorded_at: Type.String(),
  data: Type.Record(Type.String(), Json),
  prev_hash: Type.Optional(
    Type.String({ description: 'hash of the record before (hex SHA-256; 64 zeros for the first)' }),
  ),
  hash: Type.Optional(
    Type.String({ description: "hex SHA-256 of the record's RFC 8785 canonical form" }),
  ),
});
export type AuditEvent = Static<typeof AuditEventSchema>;

/** Who caused an audited event: an API key id (uuid) or a service name (`data.actor`). */
const AuditActor = Type.String({ minLength: 1, maxLength: 100 });
const AuditTime = (description: string) => Type.String({ format: 'date-time', description });
/** Opaque position in the audit log, from a previous page's `next_cursor`. */
const AuditCursor = Type.String({
  pattern: describedPattern('^[A-Za-z0-9_-]{1,64}$', "the previous page's `next_cursor`"),
  maxLength: 64,
});
const Hash = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256' });
/** A record's seq as found, even one a superuser inserted below the first (0 or negative). */
const FoundSeq = Type.Integer({
  minimum: Number.MIN_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
});

/** A record of the audit log's hash chain: where it is and the hash it stores. */
export const AuditChainLinkSchema = Type.Object(
  { seq: FoundSeq, event_id: Type.String({ format: 'uuid' }), hash: Hash },
  { additionalProperties: false },
);
export type AuditChainLink = Static<typeof AuditChainLinkSchema>;

/** What broke the audit log's hash chain, at which record. */
export const AUDIT_CHAIN_PROBLEMS = ['changed', 'removed', 'inserted'] as const;
export type AuditChainProblem = (typeof AUDIT_CHAIN_PROBLEMS)[number];

/**
 * The first record at which the chain does not hold: `changed` (its content or hash is not what
 * was appended), `removed` (records before it are missing), `inserted` (it was never appended).
 */
export const AuditChainBreakSchema = Type.Object({
  seq: FoundSeq,
  event_id: Type.String(),
  problem: Type.Union(AUDIT_CHAIN_PROBLEMS.map((p) => Type.Literal(p))),
});
export type AuditChainBreak = Static<typeof AuditChainBreakSchema>;

const InvokeResult = Type.Object({
  plugin_id: PluginId,
  version: Version,
  function: Type.String(),
  output: Json,
  duration_ms: Type.Number(),
  trace_id: Type.Optional(Type.String({ description: 'W3C trace id the call ran under' })),
});

const UploadId = (what: string) =>
  Type.String({
    pattern: '^[0-9a-f]{32}$',
    description: `${what}, promoted into the artifact store if the submission is accepted`,
  });

/** Request and reply schemas for each request subject. */
export const RequestSchemas = {
  [RequestSubjects.RegistrySubmit]: {
    request: Type.Object(
      {
        manifest: Type.Record(Type.String(), Json),
        module_sha256: Sha256,
        module_size: Type.Integer({ minimum: 0 }),
        upload_id: UploadId('the staged module'),
        sbom: Type.Optional(
          Type.Object(
            {
              sha256: Sha256,
              size: Type.Integer({ minimum: 1 }),
              upload_id: UploadId('the staged SBOM'),
            },
            { additionalProperties: false },
          ),
        ),
        submitted_by: Type.String(),
        submitted_by_issuer: SubmittedByIssuerSchema,
        publisher: PublisherSchema,
      },
      { additionalProperties: false },
    ),
    reply: Type.Object({ plugin_id: PluginId, version: Version, status: VersionStatusSchema }),
  },
  [RequestSubjects.RegistryListPlugins]: {
    request: Type.Object(
      { cursor: Type.Optional(PageCursorSchema), limit: PageLimitSchema },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      plugins: Type.Array(PluginSummarySchema),
      next_cursor: NextCursorSchema,
    }),
  },
  [RequestSubjects.RegistryGetPlugin]: {
    request: Type.Object(
      {
        plugin_id: PluginId,
        cursor: Type.Optional(PageCursorSchema),
        limit: Type.Optional(PageLimitSchema),
      },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      plugin_id: PluginId,
      name: Type.String(),
      owner: Owner,
      serving_version: Type.Union([Version, Type.Null()]),
      versions: Type.Array(VersionStateSchema),
      next_cursor: NextCursorSchema,
    }),
  },
  [RequestSubjects.RegistryTransferOwner]: {
    request: Type.Object(
      { plugin_id: PluginId, publisher: PublisherSchema, changed_by: Type.String() },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      plugin_id: PluginId,
      owner: PublisherSchema,
      previous_owner: Owner,
    }),
  },
  [RequestSubjects.RegistryGetVersion]: {
    request: Type.Object(
      { plugin_id: PluginId, version: Version },
      { additionalProperties: false },
    ),
    reply: VersionStateSchema,
  },
  [RequestSubjects.RegistryRevokeVersion]: {
    request: Type.Object(
      {
        plugin_id: PluginId,
        version: Version,
        revoked_by: Type.String(),
        reason: Type.Optional(Type.String({ maxLength: 2000 })),
      },
      { additionalProperties: false },
    ),
    reply: VersionStateSchema,
  },
  [RequestSubjects.ApprovalListQueue]: {
    request: Type.Object(
      {
        status: Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s))),
        cursor: Type.Optional(PageCursorSchema),
        limit: PageLimitSchema,
      },
      { additionalProperties: false },
    ),
    reply: Type.Object({ items: Type.Array(ApprovalItemSchema), next_cursor: NextCursorSchema }),
  },
  [RequestSubjects.ApprovalDecide]: {
    request: Type.Object(
      {
        plugin_id: PluginId,
        version: Version,
        decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
        decided_by: Type.String(),
        decided_by_publisher: Type.Optional(
          Type.Union([Type.String(), Type.Null()], {
            description: 'the publisher the deciding key submits for, if any',
          }),
        ),
        decided_by_kin: Type.Optional(
          Type.Array(Type.String(), {
            maxItems: MAX_DECIDER_KIN,
            description:
              "API key ids of the deciding key's issuance lineage (its issuers up the chain and every key issued below them; bootstrap keys never): separation of duties counts their holders as the decider",
          }),
        ),
        note: Type.Optional(Type.String({ maxLength: 2000 })),
        trust: Type.Optional(TrustSchema),
      },
      { additionalProperties: false },
    ),
    reply: ApprovalItemSchema,
  },
  [RequestSubjects.ExecutorInvoke]: {
    request: Type.Object(
      {
        plugin_id: PluginId,
        version: Type.Optional(Version),
        function: Type.String({ minLength: 1, maxLength: 64 }),
        input: Json,
      },
      { additionalProperties: false },
    ),
    reply: InvokeResult,
  },
  [RequestSubjects.ExecutorInvokeBatch]: {
    request: Type.Object(
      {
        plugin_id: PluginId,
        version: Type.Optional(Version),
        calls: Type.Array(
          Type.Object(
            { function: Type.String({ minLength: 1, maxLength: 64 }), input: Json },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 100 },
        ),
      },
      { additionalProperties: false },
    ),
    reply: Type.Object({ results: Type.Array(Json) }),
  },
  [RequestSubjects.ExecutorListTools]: {
    request: Type.Object(
      { cursor: Type.Optional(PageCursorSchema) },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      next_cursor: Type.Union(NextCursorSchema.anyOf, {
        description:
          'pass as `cursor` for the next page (a page holds as many tools as fit the bus); null on the last page',
      }),
      tools: Type.Array(
        Type.Object({
          plugin_id: PluginId,
          version: Version,
          name: Type.String(),
          description: Type.String(),
          input_schema: Json,
        }),
      ),
    }),
  },
  [RequestSubjects.ExecutorLimits]: {
    request: Type.Object({}, { additionalProperties: false }),
    reply: Type.Object({
      call_wall_time_ms: Type.Integer({
        minimum: 1,
        description:
          'the longest one plugin call may run (EXECUTOR_TIMEOUT_MS, capped by the grant policy)',
      }),
      instances_per_plugin: Type.Integer({
        minimum: 1,
        description:
          'calls of one plugin version run at once; more wait (EXECUTOR_INSTANCES_PER_PLUGIN)',
      }),
    }),
  },
  [RequestSubjects.VerificationAddSigner]: {
    request: Type.Object(
      {
        id: SignerIdSchema,
        public_key: PublicKeySchema,
        trust: SignerTrustSchema,
        added_by: Type.String(),
      },
      { additionalProperties: false },
    ),
    reply: SignerItemSchema,
  },
  [RequestSubjects.VerificationListSigners]: {
    request: Type.Object(
      { cursor: Type.Optional(PageCursorSchema), limit: PageLimitSchema },
      { additionalProperties: false },
    ),
    reply: Type.Object({ signers: Type.Array(SignerItemSchema), next_cursor: NextCursorSchema }),
  },
  [RequestSubjects.VerificationRotateSigner]: {
    request: Type.Object(
      { id: SignerIdSchema, public_key: PublicKeySchema, rotated_by: Type.String() },
      { additionalProperties: false },
    ),
    reply: SignerItemSchema,
  },
  [RequestSubjects.VerificationRevokeSigner]: {
    request: Type.Object(
      { id: SignerIdSchema, revoked_by: Type.String() },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      signer: SignerItemSchema,
      revoked_versions: Type.Array(Type.Object({ plugin_id: PluginId, version: Version })),
    }),
  },
  [RequestSubjects.VerificationSetPluginSigner]: {
    request: Type.Object(
      {
        plugin_id: PluginId,
        signer_id: Type.Union([SignerIdSchema, Type.Null()]),
        changed_by: Type.String(),
      },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      plugin_id: PluginId,
      signer_id: Type.Union([SignerIdSchema, Type.Null()]),
      previous_signer_id: Type.Union([SignerIdSchema, Type.Null()]),
    }),
  },
  [RequestSubjects.AuditQuery]: {
    request: Type.Object(
      {
        plugin_id: Type.Optional(PluginId),
        version: Type.Optional(Version),
        type: Type.Optional(Type.Union(ALL_EVENT_SUBJECTS.map((subject) => Type.Literal(subject)))),
        after_seq: Type.Optional(Seq),
        actor: Type.Optional(AuditActor),
        from: Type.Optional(AuditTime('events that occurred at or after this time')),
        to: Type.Optional(AuditTime('events that occurred before this time')),
        cursor: Type.Optional(AuditCursor),
        limit: Type.Integer({ minimum: 1, maximum: 500 }),
      },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      events: Type.Array(AuditEventSchema),
      next_after_seq: Type.Union([Type.Integer(), Type.Null()]),
      next_cursor: Type.Union([AuditCursor, Type.Null()], {
        description: 'pass as `cursor` for the next page; null on the last page',
      }),
    }),
  },
  [RequestSubjects.AuditVerify]: {
    request: Type.Object(
      {
        after: Type.Union([AuditChainLinkSchema, Type.Null()], {
          description: 'the last record a previous segment found intact; null from the start',
        }),
        limit: Type.Integer({
          minimum: 1,
          maximum: 5000,
          description:
            'records to check at most: fewer are when their bytes exceed the audit service read budget',
        }),
      },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      records_checked: Type.Integer({ minimum: 0 }),
      last: Type.Union([AuditChainLinkSchema, Type.Null()]),
      first_broken: Type.Union([AuditChainBreakSchema, Type.Null()]),
      done: Type.Boolean({
        description:
          'true when no record follows the segment or the chain is broken; otherwise ask the next one after `last`',
      }),
    }),
  },
  [RequestSubjects.SecretsTokenIssue]: {
    request: Type.Object(
      { plugin_id: PluginId, version: Version, module_sha256: Sha256 },
      { additionalProperties: false },
    ),
    reply: Type.Object({
      token: Type.String({ maxLength: 16384, description: 'an EdDSA-signed JWS (compact)' }),
      expires_in_s: Type.Integer({ minimum: 1, description: 'seconds the token stays valid' }),
    }),
  },
  [RequestSubjects.SecretsRead]: {
    request: Type.Object(
      {
        token: Type.String({ minLength: 1, maxLength: 16384 }),
        plugin_id: PluginId,
        version: Version,
        secret_id: Type.String({ minLength: 1, maxLength: 2000 }),
      },
      {
        additionalProperties: false,
        description: 'secret_id is as the plugin sent it: the broker refuses a malformed one',
      },
    ),
    reply: Type.Union([
      Type.Object({ value: Type.String() }, { additionalProperties: false }),
      Type.Object(
        {
          error: Type.Object(
            {
              code: Type.Union([
                Type.Literal('permission_denied'),
                Type.Literal('not_found'),
                Type.Literal('io_error'),
              ]),
              message: Type.String({ maxLength: 2000 }),
            },
            { additionalProperties: false },
          ),
        },
        {
          additionalProperties: false,
          description:
            'what the plugin gets instead of the value: refused (recorded as permission.denied), no such secret, or the store failed',
        },
      ),
    ]),
  },
  [RequestSubjects.SecretsPut]: {
    request: Type.Object(
      {
        id: SecretId,
        value: Type.String({ minLength: 1, maxLength: MAX_SECRET_VALUE_BYTES }),
        actor: Type.String(),
      },
      { additionalProperties: false },
    ),
    reply: Type.Object({ id: SecretId, created: Type.Boolean() }),
  },
  [RequestSubjects.SecretsDelete]: {
    request: Type.Object({ id: SecretId, actor: Type.String() }, { additionalProperties: false }),
    reply: Type.Object({ id: SecretId }),
  },
} satisfies Record<
  (typeof RequestSubjects)[keyof typeof RequestSubjects],
  { request: TSchema; reply: TSchema }
>;

type Schemas = typeof RequestSchemas;
export type RequestMap = { [S in keyof Schemas]: Static<Schemas[S]['request']> };
export type ReplyMap = { [S in keyof Schemas]: Static<Schemas[S]['reply']> };

/**
 * 413 for a secret value over MAX_SECRET_VALUE_BYTES, naming the field and the limit (a fixed
 * one, Azure Key Vault's own, so a value fits either store; no setting changes it).
 */
export function secretValueTooLarge(): DomainError {
  const message =
    `the field "value" is larger than ${MAX_SECRET_VALUE_BYTES} bytes (${MAX_SECRET_VALUE_BYTES / 1024} KiB) of UTF-8, ` +
    "the most a secret holds: Azure Key Vault's own limit, kept by the embedded store too (no setting changes it)";
  return new DomainError('payload_too_large', message, [
    { code: 'secret_value_too_large', message, path: '/value' },
  ]);
}
