import { createHash } from 'node:crypto';
import semver from 'semver';
import {
  DomainError,
  validateManifest,
  type Finding,
  type Manifest,
  type Trust,
} from '@convergio/contracts';
import {
  adminRequired,
  checkGrants,
  type AdminRequirement,
  type GrantContext,
  type GrantPolicy,
} from '@convergio/policy/grant';
import { findImportViolations, findModuleLimitViolations, SandboxError } from '@convergio/sandbox';
import { inputSchemaProblems } from './tool-input-schema.js';

/**
 * The outcome of the load-time checks of SPEC.md §4 that need no keyring. `adminRequired`: grants
 * the operator policy sends to an admin beyond the high-risk permissions.
 */
export type SubmissionCheck =
  | { ok: true; manifest: Manifest; findings: Finding[]; adminRequired: AdminRequirement[] }
  | { ok: false; findings: Finding[] };

/** What a submission is checked against: this core, the trust its signature earned, the operator policy. */
export interface SubmissionContext {
  coreVersion: string;
  trust: Trust;
  policy: GrantPolicy;
  /** The grant context of the plugin id the manifest names (its own directory, protected paths). */
  grantContext: (pluginId: string) => GrantContext;
  /**
   * The host functions the executor offers (the names of its host-function table,
   * HOST_FUNCTION_NAMES of libs/host-calls): a module importing another is refused.
   */
  hostFunctions: readonly string[];
}

/**
 * Checks a submission: manifest schema, module hash, module validity, what the module
 * declares (the executor's module limits: one finding per bound, coded for the resource, with
 * the value found), what it imports (the executor's import check: one `import_forbidden` per
 * import of the wrong kind, name or type), declared exports, tool input schemas (bounded in size and depth, runnable
 * without backtracking), permissions allowed to untrusted plugins, the operator grant policy
 * (`policy_violation` findings naming the rule) and core version. Every problem
 * found is reported, not only the first.
 */
export async function checkSubmission(
  rawManifest: unknown,
  module: Uint8Array,
  context: SubmissionContext,
): Promise<SubmissionCheck> {
  const { coreVersion, trust } = context;
  let manifest: Manifest;
  try {
    manifest = validateManifest(rawManifest);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { ok: false, findings: error.details.map((d) => ({ ...d, code: 'manifest_invalid' })) };
  }
  const findings: Finding[] = [];
  const sha256 = createHash('sha256').update(module).digest('hex');
  if (sha256 !== manifest.signing.sha256) {
    findings.push({
      code: 'hash_mismatch',
      message: `module SHA-256 is ${sha256}, manifest declares ${manifest.signing.sha256}`,
      path: '/signing/sha256',
    });
  }
  findings.push(...(await checkModule(manifest, module, context.hostFunctions)));
  (manifest.capabilities.tools ?? []).forEach((tool, i) =>
    findings.push(
      ...inputSchemaProblems(tool.input_schema, `/capabilities/tools/${i}/input_schema`),
    ),
  );
  const grantContext = context.grantContext(manifest.id);
  findings.push(...checkGrants(manifest, context.policy, grantContext));
  if (
    !semver.satisfies(coreVersion, `>=${manifest.min_core_version}`, { includePrerelease: true })
  ) {
    findings.push({
      code: 'core_version_incompatible',
      message: `needs core ${manifest.min_core_version} or newer, this core is ${coreVersion}`,
      path: '/min_core_version',
    });
  }
  if (manifest.permissions['proc.exec'] && trust === 'untrusted') {
    findings.push({
      code: 'proc_exec_untrusted',
      message: 'proc.exec is never granted to untrusted plugins',
      path: '/permissions/proc.exec',
    });
  }
  if (findings.length) return { ok: false, findings };
  return {
    ok: true,
    manifest,
    findings,
    adminRequired: adminRequired(manifest, context.policy, grantContext),
  };
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
