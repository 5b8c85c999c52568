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
import {
  capMemory,
  findImportViolations,
  findModuleLimitViolations,
  MAX_WASM_PAGES,
  SandboxError,
} from '@convergio/sandbox';
import { canonicalManifestBytes, moduleSha256, SigningError } from '@convergio/signing';
import type { CheckCache } from './check-cache.js';
import type { Keyring, SignatureVerdict } from './keyring.js';
import { checkSignature, type SignatureStep } from './signature-check.js';
import { inputSchemaProblems, type InputSchemaBounds } from './tool-input-schema.js';
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
  const contentKey = `module:${stored.sha256}:${digest}`;
  const moduleFindings = context.cache
    ? await context.cache.get(contentKey, () => checkContent(manifest, stored, context))
    : await checkContent(manifest, stored, context);
  findings.push(...moduleFindings);
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
 * and once a plugin id has a signed approved version, only its signer may sign the next ones.
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
        `the approved versions of ${manifest.id} are signed by ${pinned}, this one ` +
        `${signed ? `by ${signed.signerId}` : 'is unsigned'}; an admin accepts a new signer with ` +
        `PUT /v1/plugins/${manifest.id}/signer`,
      path: '/signing/signer_id',
    });
  return findings;
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

async function checkContent(
  manifest: Manifest,
  module: StoredModule,
  context: SubmissionContext,
): Promise<Finding[]> {
  const bytes = await module.bytes();
  const findings = await checkModule(manifest, bytes, context.hostFunctions);
  findings.push(...checkMemory(bytes, memoryCap(manifest, context.policy)));
  (manifest.capabilities.tools ?? []).forEach((tool, i) =>
    findings.push(
      ...inputSchemaProblems(
        tool.input_schema,
        `/capabilities/tools/${i}/input_schema`,
        context.inputSchemaBounds,
      ),
    ),
  );
  return findings;
}

/** Declared functions of every capability. */
export function declaredFunctions(manifest: Manifest): string[] {
  const c = manifest.capabilities;
  return [...(c.tools ?? []), ...(c.agents ?? [])].map((t) => t.function);
}

async function checkModule(
  manifest: Manifest,
  bytes: Uint8Array,
  hostFunctions: readonly string[],
): Promise<Finding[]> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    return [
      {
        code: 'module_invalid',
        message: `not a valid WebAssembly module: ${(error as Error).message}`,
      },
    ];
  }
  const exported = new Set(
    WebAssembly.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name),
  );
  const missing = declaredFunctions(manifest)
    .filter((f) => !exported.has(f))
    .map((f) => ({
      code: 'function_missing',
      message: `capability function ${f} is not exported by the module`,
      path: '/capabilities',
    }));
  return [...checkDeclarations(bytes, hostFunctions), ...missing];
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

/**
 * The executor caps every memory at load (capMemory): a module whose memory needs more pages
 * than the cap, or is imported, shared or 64-bit, would never load (`module_memory_forbidden`).
 */
function checkMemory(bytes: Uint8Array, cap: number): Finding[] {
  try {
    capMemory(bytes, cap);
    return [];
  } catch (error) {
    if (!(error instanceof SandboxError) || error.code !== 'module_memory_forbidden') return [];
    return [{ code: error.code, message: error.message, path: '/limits/memory_pages' }];
  }
}

/**
 * The executor refuses to load a module over its limits or with an import it does not offer;
 * verification names them first, with the executor's own checks.
 */
function checkDeclarations(bytes: Uint8Array, hostFunctions: readonly string[]): Finding[] {
  try {
    return [
      ...findModuleLimitViolations(bytes).map(({ code, message, value }) => ({
        code,
        message,
        value: String(value),
      })),
      ...findImportViolations(bytes, hostFunctions).map(({ message }) => ({
        code: 'import_forbidden',
        message,
      })),
    ];
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    return [{ code: error.code, message: error.message }];
  }
}
