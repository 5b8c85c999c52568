import { createHash } from 'node:crypto';
import semver from 'semver';
import { DomainError, validateManifest, type Finding, type Manifest } from '@convergio/contracts';
import {
  adminRequired,
  checkGrants,
  type AdminRequirement,
  type GrantContext,
  type GrantPolicy,
} from '@convergio/policy/grant';
import { MAX_WASM_PAGES } from '@convergio/sandbox';
import { canonicalManifestBytes, moduleSha256, SigningError } from '@convergio/signing';
import type { CheckCache } from './check-cache.js';
import type { Keyring, SignatureVerdict } from './keyring.js';
import { checkSignature, type SignatureStep } from './signature-check.js';
import { checkModuleContent, type ModuleContentInput } from './module-content-check.js';
import { ModuleCheckError } from './module-content-checker.js';
import type { InputSchemaBounds } from './tool-input-schema.js';
import { checkPermissionReasons } from './permission-reasons.js';

/**
 * The outcome of the load-time checks (docs/architecture.md). `adminRequired`: grants the operator
 * policy sends to an admin beyond the high-risk permissions. `signature`: who signed, null for
 * an unsigned manifest. `manifestDigest`: hex SHA-256 of the manifest's canonical bytes
 * (libs/signing), with the module hash the key of what was checked.
 */
export type SubmissionCheck =
  | {
      ok: true;
      manifest: Manifest;
      findings: Finding[];
      adminRequired: AdminRequirement[];
      signature: SignatureVerdict | null;
      manifestDigest: string;
    }
  | { ok: false; findings: Finding[] };

/** What a submission is checked against: this core, the keyring, the operator policy. */
export interface SubmissionContext {
  coreVersion: string;
  keyring: Keyring;
  policy: GrantPolicy;
  /** The grant context of the plugin id the manifest names (its own directory, protected paths). */
  grantContext: (pluginId: string) => GrantContext;
  /**
   * The host functions the executor offers (the names of its host-function table,
   * HOST_FUNCTION_NAMES of libs/host-calls): a module importing another is refused.
   */
  hostFunctions: readonly string[];
  /** How large and deep a tool's `input_schema` may be. */
  inputSchemaBounds: InputSchemaBounds;
  /** Keeps module and signature results across submissions of the same bytes. */
  cache?: CheckCache;
  /**
   * Runs the module content checks; defaults to {@link checkModuleContent} on the calling thread.
   * A service passes a {@link ModuleContentChecker}'s `check`, which runs them in a worker with a
   * time budget and heap limits; its {@link ModuleCheckError} becomes a finding of that code.
   */
  checkContent?: (input: ModuleContentInput) => Promise<Finding[]>;
}

/**
 * A module the caller has in a store by its hex SHA-256 (64 lowercase hex digits) and reads
 * only when a check needs its bytes.
 */
export interface StoredModule {
  sha256: string;
  bytes: () => Promise<Uint8Array>;
}

/**
 * Checks a submission, in this order, reporting every finding of every step (not only the
 * first): manifest schema; module hash (`module_hash_mismatch`); the module (valid
 * WebAssembly, declared exports, the executor's module limits, one finding per bound, and
 * imports, one `import_forbidden` per import of the wrong kind, name or type; tool input
 * schemas bounded in size and depth, runnable without backtracking); signature
 * (checkSignature); trust (`proc_exec_untrusted` for a plugin no keyring signer signed,
 * `signer_changed` for one whose approved versions another signer signed); the operator grant
 * policy (`policy_violation` naming the rule); core version. Duplicate keys are the parser's
 * (libs/signing parseManifestText), before this. Throws only what its dependencies throw
 * for reasons other than the input (an artifact store that fails).
 */
export async function checkSubmission(
  rawManifest: unknown,
  module: Uint8Array | StoredModule,
  context: SubmissionContext,
): Promise<SubmissionCheck> {
  let manifest: Manifest;
  try {
    manifest = validateManifest(rawManifest);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { ok: false, findings: error.details.map((d) => ({ ...d, code: 'manifest_invalid' })) };
  }
  const stored: StoredModule =
    module instanceof Uint8Array
      ? { sha256: moduleSha256(module), bytes: () => Promise.resolve(module) }
      : module;
  const findings: Finding[] = [];
  if (stored.sha256 !== manifest.signing.sha256) {
    findings.push({
      code: 'module_hash_mismatch',
      message: `module SHA-256 is ${stored.sha256}, manifest declares ${manifest.signing.sha256}`,
      path: '/signing/sha256',
    });
  }
  const digest = manifestDigest(manifest);
  if (typeof digest !== 'string') return { ok: false, findings: [...findings, digest] };
  findings.push(...(await contentFindings(manifest, stored, digest, context)));
  const signature = await checkSignature(
    manifest,
    { sha256: stored.sha256, digest },
    context.keyring,
    context.cache,
  );
  findings.push(...signature.findings, ...checkTrust(manifest, signature, context.keyring));
  const grantContext = context.grantContext(manifest.id);
  findings.push(...checkGrants(manifest, context.policy, grantContext));
  findings.push(...checkPermissionReasons(manifest));
  if (
    !semver.satisfies(context.coreVersion, `>=${manifest.min_core_version}`, {
      includePrerelease: true,
    })
  ) {
    findings.push({
      code: 'core_version_incompatible',
      message: `needs core ${manifest.min_core_version} or newer, this core is ${context.coreVersion}`,
      path: '/min_core_version',
    });
  }
  if (findings.length) return { ok: false, findings };
  return {
    ok: true,
    manifest,
    findings,
    adminRequired: adminRequired(manifest, context.policy, grantContext),
    signature: signature.verdict,
    manifestDigest: digest,
  };
}

/**
 * Trust: proc.exec runs native code on the host (docs/adr/0012), so only a plugin
 * a keyring signer signed may ask for it (an admin still designates it trusted at approval);
 * and once a plugin id has a signed approved version, only its signer may sign the next ones
 * (or the signer an admin accepted for the id, before its first version too).
 */
function checkTrust(manifest: Manifest, signature: SignatureStep, keyring: Keyring): Finding[] {
  const findings: Finding[] = [];
  const signed = signature.verdict;
  if (manifest.permissions['proc.exec'] && !signed)
    findings.push({
      code: 'proc_exec_untrusted',
      message:
        'proc.exec is never granted to untrusted plugins: sign the plugin with a key of the keyring',
      path: '/permissions/proc.exec',
    });
  const pinned = keyring.pinnedSigner(manifest.id);
  if (pinned !== undefined && signed?.signerId !== pinned && signature.findings.length === 0)
    findings.push({
      code: 'signer_changed',
      message:
        `versions of ${manifest.id} must be signed by ${pinned} (the signer of its approved ` +
        `versions, or the one an admin accepted for it), this one ` +
        `${signed ? `by ${signed.signerId}` : 'is unsigned'}; an admin accepts a new signer with ` +
        `PUT /v1/plugins/${manifest.id}/signer`,
      path: '/signing/signer_id',
    });
  return findings;
}

/**
 * The module content checks, from the cache when these bytes were checked before. A check that
 * did not finish (out of time or memory) is a finding but is not cached: the same bytes are
 * checked again when submitted again.
 */
async function contentFindings(
  manifest: Manifest,
  stored: StoredModule,
  digest: string,
  context: SubmissionContext,
): Promise<Finding[]> {
  const check = async (): Promise<Finding[]> =>
    (context.checkContent ?? checkModuleContent)({
      manifest,
      module: await stored.bytes(),
      hostFunctions: context.hostFunctions,
      memoryPages: memoryCap(manifest, context.policy),
      inputSchemaBounds: context.inputSchemaBounds,
    });
  try {
    return context.cache
      ? await context.cache.get(`module:${stored.sha256}:${digest}`, check)
      : await check();
  } catch (error) {
    if (!(error instanceof ModuleCheckError)) throw error;
    return [{ code: error.code, message: error.message }];
  }
}

/** Hex SHA-256 of the manifest's canonical bytes (without `signing.signature`), or why not. */
function manifestDigest(manifest: Manifest): string | Finding {
  try {
    return createHash('sha256').update(canonicalManifestBytes(manifest)).digest('hex');
  } catch (error) {
    if (!(error instanceof SigningError)) throw error;
    return { code: error.code, message: error.message, ...(error.path && { path: error.path }) };
  }
}

/**
 * The most pages the executor can give this plugin's memory as far as verification knows:
 * the manifest's `limits.memory_pages` under the policy's `limits.max.memory_pages` (the
 * executor's own EXECUTOR_MAX_MEMORY_PAGES is checked when it loads the version).
 */
function memoryCap(manifest: Manifest, policy: GrantPolicy): number {
  return Math.min(
    manifest.limits?.memory_pages ?? MAX_WASM_PAGES,
    policy.limits.max.memory_pages ?? MAX_WASM_PAGES,
    MAX_WASM_PAGES,
  );
}
