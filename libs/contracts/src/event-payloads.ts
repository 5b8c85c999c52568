import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CRASH_REASONS } from './crash-reasons.js';
import { ManifestSchema, PluginIdSchema, SECRET_ID_PATTERN } from './manifest.schema.js';
import { KeyIdSchema, SignedBySchema, SignerIdSchema, SignerTrustSchema } from './signer.schema.js';
import { EventSubjects } from './subjects.js';

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const PluginId = PluginIdSchema;
const Version = Type.String({ minLength: 1, maxLength: 64 });
const PluginRef = { plugin_id: PluginId, version: Version };
/** Who caused an event: the API key id of the person's request, or the service that decided. */
const Actor = Type.String({
  minLength: 1,
  maxLength: 100,
  description:
    'the API key id (uuid) that made the request, or the service name for automatic decisions',
});
const Publisher = Type.Union([Type.String(), Type.Null()], {
  description: 'the publisher the submitting key submits for; null for keys from before publishers',
});
const Roles = Type.Array(Type.String());
/**
 * Who issued the secret that submitted a version (separation of duties: the issuer held it, so
 * counts as the submitter). Absent in events from before it was kept; null when unknown.
 */
export const SubmittedByIssuerSchema = Type.Optional(
  Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], {
    description:
      'the API key id that created or last rotated the submitting key (the key itself when it rotated itself), `gateway` for the bootstrap admin key; null when unknown (keys issued before issuers were kept)',
  }),
);

export const TrustSchema = Type.Union([
  Type.Literal('untrusted'),
  Type.Literal('trusted'),
  Type.Literal('official'),
]);
export type Trust = Static<typeof TrustSchema>;

/** A machine-readable reason: a failed check, a rejection, a refusal. */
export const FindingSchema = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 100 }),
    message: Type.String({ maxLength: 2000 }),
    path: Type.Optional(Type.String({ maxLength: 500 })),
    rule: Type.Optional(
      Type.String({ maxLength: 200, description: 'the operator policy rule a value breaks' }),
    ),
    value: Type.Optional(
      Type.String({ maxLength: 2000, description: 'the offending value, as written' }),
    ),
  },
  { additionalProperties: false },
);
export type Finding = Static<typeof FindingSchema>;

const ResourcesSchema = Type.Object(
  {
    wall_ms: Type.Number({ minimum: 0 }),
    fuel_used: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'CPU budget used: loop iterations, entries of functions that may loop or recurse (one unit each per 1000 instructions or part of it), and bulk memory and table work (1 per 16 bytes, 64 per table element, table.grow 1024 per element added plus 1 per element held, memory.grow 8192 per page of the memory after it)',
      }),
    ),
    memory_pages: Type.Optional(Type.Integer({ minimum: 0 })),
    host_calls: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/** One schema per event subject: the single source of both validation and types. */
export const EventPayloadSchemas = {
  [EventSubjects.PluginSubmitted]: Type.Object(
    {
      ...PluginRef,
      manifest: Type.Record(Type.String(), Type.Unknown()),
      module_sha256: Sha256,
      module_size: Type.Integer({ minimum: 0 }),
      sbom: Type.Optional(
        Type.Object(
          { sha256: Sha256, size: Type.Integer({ minimum: 1 }) },
          {
            additionalProperties: false,
            description: 'the SBOM submitted with the version, in the artifact store by its hash',
          },
        ),
      ),
      submitted_by: Type.String(),
      submitted_by_issuer: SubmittedByIssuerSchema,
      publisher: Type.Optional(Publisher),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginVerified]: Type.Object(
    {
      ...PluginRef,
      manifest: ManifestSchema,
      module_sha256: Sha256,
      trust: TrustSchema,
      signed_by: Type.Optional(SignedBySchema),
      high_risk_permissions: Type.Array(Type.String()),
      findings: Type.Array(FindingSchema),
      submitted_by: Type.String({ description: 'the API key id that submitted the version' }),
      submitted_by_issuer: SubmittedByIssuerSchema,
      publisher: Type.Optional(Publisher),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginRejected]: Type.Object(
    {
      ...PluginRef,
      stage: Type.Union([Type.Literal('verification'), Type.Literal('approval')]),
      reasons: Type.Array(FindingSchema, { minItems: 1 }),
      rejected_by: Type.String(),
      actor: Type.Optional(Actor),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginApproved]: Type.Object(
    {
      ...PluginRef,
      manifest: ManifestSchema,
      module_sha256: Sha256,
      trust: TrustSchema,
      approved_by: Type.String({ description: "'auto' or the admin key id" }),
      note: Type.Optional(Type.String({ maxLength: 2000 })),
      actor: Type.Optional(Actor),
      approvers: Type.Optional(
        Type.Array(Actor, { description: 'every admin whose approval it took, in order' }),
      ),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginRevoked]: Type.Object(
    {
      ...PluginRef,
      revoked_by: Type.String(),
      reason: Type.Optional(Type.String({ maxLength: 2000 })),
      actor: Type.Optional(Actor),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginLoaded]: Type.Object(
    {
      ...PluginRef,
      module_sha256: Sha256,
      instance: Type.String(),
      load_ms: Type.Number({ minimum: 0 }),
      cached: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginUnloaded]: Type.Object(
    {
      ...PluginRef,
      instance: Type.String(),
      reason: Type.Union([
        Type.Literal('revoked'),
        Type.Literal('idle'),
        Type.Literal('superseded'),
        Type.Literal('capacity'),
        Type.Literal('crashed'),
        Type.Literal('shutdown'),
      ]),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PermissionDenied]: Type.Object(
    {
      ...PluginRef,
      capability: Type.String(),
      target: Type.String({ maxLength: 2000 }),
      reason: Type.String({ maxLength: 2000 }),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginCrashed]: Type.Object(
    {
      ...PluginRef,
      function: Type.String(),
      reason: Type.Union(CRASH_REASONS.map((reason) => Type.Literal(reason))),
      message: Type.String({ maxLength: 2000 }),
      resources: ResourcesSchema,
    },
    { additionalProperties: false },
  ),
  [EventSubjects.SubmissionRefused]: Type.Object(
    {
      ...PluginRef,
      publisher: Type.Union([Type.String(), Type.Null()]),
      submitted_by: Type.String(),
      code: Type.String({ maxLength: 100 }),
      message: Type.String({ maxLength: 2000 }),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginOwnerChanged]: Type.Object(
    {
      plugin_id: PluginId,
      from: Type.Union([Type.String(), Type.Null()]),
      to: Type.String(),
      changed_by: Type.String({ description: 'the admin key id' }),
      actor: Type.Optional(Actor),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginPolicyChecked]: Type.Object(
    {
      ...PluginRef,
      instance: Type.String(),
      violations: Type.Array(FindingSchema, {
        description: 'operator policy rules the approved version breaks; empty: it fits again',
      }),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.SignerAdded]: Type.Object(
    {
      signer_id: SignerIdSchema,
      trust: SignerTrustSchema,
      key_id: KeyIdSchema,
      added_by: Type.String({ description: 'the admin key id, or `operator` for the release key' }),
      actor: Type.Optional(Actor),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.SignerRotated]: Type.Object(
    {
      signer_id: SignerIdSchema,
      key_id: KeyIdSchema,
      previous_key_id: KeyIdSchema,
      rotated_by: Type.String(),
      actor: Type.Optional(Actor),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.SignerRevoked]: Type.Object(
    {
      signer_id: SignerIdSchema,
      revoked_by: Type.String(),
      actor: Type.Optional(Actor),
      versions: Type.Array(
        Type.Object({ plugin_id: PluginId, version: Version }, { additionalProperties: false }),
        { description: 'every version the signer signed that verification passed: all revoked' },
      ),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.PluginSignerChanged]: Type.Object(
    {
      plugin_id: PluginId,
      from: Type.Union([SignerIdSchema, Type.Null()]),
      to: Type.Union([SignerIdSchema, Type.Null()], {
        description: 'the signer later versions must be signed by; null: unsigned ones too',
      }),
      changed_by: Type.String({ description: 'the admin key id' }),
      actor: Type.Optional(Actor),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.SecretAccessed]: Type.Object(
    { ...PluginRef, secret_id: Type.String() },
    { additionalProperties: false },
  ),
  [EventSubjects.ApprovalRequested]: Type.Object(
    {
      ...PluginRef,
      high_risk_permissions: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 }),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.ApprovalRecorded]: Type.Object(
    {
      ...PluginRef,
      actor: Actor,
      trust: TrustSchema,
      note: Type.Optional(Type.String({ maxLength: 2000 })),
      approvals: Type.Integer({ minimum: 1, description: 'approvals recorded so far' }),
      approvals_required: Type.Integer({ minimum: 2 }),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.ApprovalRefused]: Type.Object(
    {
      ...PluginRef,
      actor: Actor,
      decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
      code: Type.String({ maxLength: 100 }),
      message: Type.String({ maxLength: 2000 }),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.ApprovalWithdrawn]: Type.Object(
    {
      ...PluginRef,
      approver: Actor,
      actor: Actor,
    },
    {
      additionalProperties: false,
      description:
        '`approver`: the revoked key whose approval no longer counts; `actor`: who revoked it',
    },
  ),
  [EventSubjects.ApiKeyCreated]: Type.Object(
    {
      key_id: Type.String({ format: 'uuid' }),
      name: Type.String({ maxLength: 100 }),
      roles: Roles,
      publisher: Publisher,
      actor: Actor,
    },
    { additionalProperties: false, description: 'never the key itself' },
  ),
  [EventSubjects.ApiKeyRevoked]: Type.Object(
    {
      key_id: Type.String({ format: 'uuid' }),
      name: Type.String({ maxLength: 100 }),
      actor: Actor,
    },
    { additionalProperties: false },
  ),
  [EventSubjects.ApiKeyRotated]: Type.Object(
    {
      key_id: Type.String({ format: 'uuid' }),
      name: Type.String({ maxLength: 100 }),
      actor: Actor,
      previous_valid_until: Type.String({
        format: 'date-time',
        description: 'until when the replaced secret is still accepted',
      }),
    },
    { additionalProperties: false, description: 'never either secret' },
  ),
  [EventSubjects.ApiKeyRotationRefused]: Type.Object(
    {
      key_id: Type.String({ format: 'uuid' }),
      actor: Actor,
      code: Type.String({ maxLength: 100 }),
      message: Type.String({ maxLength: 2000 }),
    },
    { additionalProperties: false },
  ),
  [EventSubjects.SecretChanged]: Type.Object(
    {
      secret_id: Type.String({ pattern: SECRET_ID_PATTERN }),
      action: Type.Union([Type.Literal('stored'), Type.Literal('deleted')]),
      actor: Actor,
    },
    { additionalProperties: false, description: 'never the value' },
  ),
  [EventSubjects.PolicyLoaded]: Type.Object(
    {
      service: Type.String({ maxLength: 100 }),
      instance: Type.String({ maxLength: 300, description: 'host name and process id' }),
      file: Type.Union([Type.String({ maxLength: 4096 }), Type.Null()], {
        description: 'absolute path of GRANT_POLICY_FILE; null: the built-in default policy',
      }),
      sha256: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()], {
        description: 'SHA-256 (hex) of the policy file as read, as `sha256sum` prints it',
      }),
    },
    { additionalProperties: false },
  ),
} satisfies Record<(typeof EventSubjects)[keyof typeof EventSubjects], TSchema>;

export type EventPayloadMap = {
  [S in keyof typeof EventPayloadSchemas]: Static<(typeof EventPayloadSchemas)[S]>;
};
