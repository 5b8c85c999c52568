/**
 * Durable event subjects (JetStream). These names are persistent contracts:
 * consumers and stored streams depend on them, so never rename one.
 */
export const EventSubjects = {
  PluginSubmitted: 'plugin.submitted',
  PluginVerified: 'plugin.verified',
  PluginRejected: 'plugin.rejected',
  PluginApproved: 'plugin.approved',
  PluginRevoked: 'plugin.revoked',
  PluginLoaded: 'plugin.loaded',
  PluginUnloaded: 'plugin.unloaded',
  PermissionDenied: 'permission.denied',
  PluginCrashed: 'plugin.crashed',
  SecretAccessed: 'secret.accessed',
  /** The registry refused a submission (not the owner, version not increasing): nothing was stored. */
  SubmissionRefused: 'plugin.submission_refused',
  /** An admin gave a plugin id to another publisher. */
  PluginOwnerChanged: 'plugin.owner_changed',
  /** The executor checked an approved version against the operator policy at boot and its verdict changed. */
  PluginPolicyChecked: 'plugin.policy_checked',
  /** An admin (or the operator's release key at boot) added a signer to the keyring. */
  SignerAdded: 'signer.added',
  /** A signer's current key was replaced; the old one stays valid for what it signed before. */
  SignerRotated: 'signer.rotated',
  /** A signer was revoked: every version it signed is revoked with it. */
  SignerRevoked: 'signer.revoked',
  /** An admin accepted another signer (or none) for a plugin id's next versions. */
  PluginSignerChanged: 'plugin.signer_changed',
  /** A verified version waits in the review queue for an admin's decision. */
  ApprovalRequested: 'plugin.approval_requested',
  /** The first of the two admin approvals a version needs (proc.exec, trust above untrusted). */
  ApprovalRecorded: 'plugin.approval_recorded',
  /** An admin's decision was refused by separation of duties (e.g. approving their own submission). */
  ApprovalRefused: 'plugin.approval_refused',
  /** A pending version lost an approval: the API key that gave it was revoked before the decision. */
  ApprovalWithdrawn: 'plugin.approval_withdrawn',
  /** An admin created an API key (never the key itself). */
  ApiKeyCreated: 'api_key.created',
  /** An admin revoked an API key. */
  ApiKeyRevoked: 'api_key.revoked',
  /** An admin gave an API key a new secret; the old one stays valid until `previous_valid_until`. */
  ApiKeyRotated: 'api_key.rotated',
  /** A rotation was refused: an admin key's secret is rotated only by that key itself. */
  ApiKeyRotationRefused: 'api_key.rotation_refused',
  /** An admin stored or deleted a secret of the embedded store (never its value). */
  SecretChanged: 'secret.changed',
  /** A service started under the operator grant policy (a restart is how a policy is reloaded). */
  PolicyLoaded: 'policy.loaded',
} as const;

/** Request/reply subjects (core NATS request, one queue group per service). */
export const RequestSubjects = {
  RegistrySubmit: 'registry.submit',
  RegistryListPlugins: 'registry.plugins.list',
  RegistryGetPlugin: 'registry.plugins.get',
  RegistryGetVersion: 'registry.versions.get',
  RegistryRevokeVersion: 'registry.versions.revoke',
  /** An admin gives a plugin id to another publisher. */
  RegistryTransferOwner: 'registry.plugins.transfer',
  ApprovalListQueue: 'approval.queue.list',
  ApprovalDecide: 'approval.decide',
  ExecutorInvoke: 'executor.invoke',
  ExecutorInvokeBatch: 'executor.invoke-batch',
  ExecutorListTools: 'executor.tools.list',
  /** The executor's call limits, from which the gateway derives how long to wait for a call. */
  ExecutorLimits: 'executor.limits',
  AuditQuery: 'audit.query',
  /** Checks one segment of the audit log's hash chain (the gateway walks the whole chain with it). */
  AuditVerify: 'audit.verify',
  VerificationAddSigner: 'verification.signers.add',
  VerificationListSigners: 'verification.signers.list',
  VerificationRotateSigner: 'verification.signers.rotate',
  VerificationRevokeSigner: 'verification.signers.revoke',
  /** An admin accepts a signer change for a plugin id (key continuity). */
  VerificationSetPluginSigner: 'verification.plugins.signer',
  /** The executor asks the broker for a signed token scoped to a version's granted secret ids. */
  SecretsTokenIssue: 'secrets.token.issue',
  /** The executor reads one secret for a plugin call with that call's token. */
  SecretsRead: 'secrets.read',
  /** An admin stores a secret in the embedded store. */
  SecretsPut: 'secrets.put',
  /** An admin deletes a secret of the embedded store. */
  SecretsDelete: 'secrets.delete',
} as const;

export type EventSubject = (typeof EventSubjects)[keyof typeof EventSubjects];
export type RequestSubject = (typeof RequestSubjects)[keyof typeof RequestSubjects];

/** Every event subject, for stream configuration. */
export const ALL_EVENT_SUBJECTS: readonly EventSubject[] = Object.values(EventSubjects);

/**
 * Host functions of the plugin ABI (docs/plugin-abi.md), imported by plugins from
 * `extism:host/user`. A module importing anything else is refused.
 */
export const HOST_FUNCTIONS = [
  'fs_read',
  'fs_write',
  'fs_list',
  'http_request',
  'ws_connect',
  'ws_send',
  'ws_recv',
  'ws_close',
  'secret_get',
  'proc_exec',
  'telemetry_emit',
  'log',
] as const;
export type HostFunction = (typeof HOST_FUNCTIONS)[number];

/**
 * Extism kernel functions plugins may import from `extism:host/env` (docs/plugin-abi.md), run by
 * the sandbox's own kernel under the call's limits. The SDK's HTTP functions are not among them.
 */
export const KERNEL_FUNCTIONS = [
  'alloc',
  'free',
  'length',
  'length_unsafe',
  'load_u8',
  'load_u64',
  'store_u8',
  'store_u64',
  'input_offset',
  'input_length',
  'input_load_u8',
  'input_load_u64',
  'output_set',
  'error_set',
  'error_get',
  'config_get',
  'var_get',
  'var_set',
  'log_trace',
  'log_debug',
  'log_info',
  'log_warn',
  'log_error',
  'get_log_level',
] as const;
export type KernelFunction = (typeof KERNEL_FUNCTIONS)[number];
