import { Option, type Command } from 'commander';
import { HOST_FUNCTIONS, type Finding } from '@convergio/contracts';
import {
  checkSubmission,
  DEFAULT_INPUT_SCHEMA_BOUNDS,
  EMPTY_KEYRING,
  keyIdOf,
  type Keyring,
  type SignerTrust,
} from '@convergio/manifest';
import {
  DEFAULT_GRANT_POLICY,
  GrantPolicyError,
  parseGrantPolicy,
  type GrantPolicy,
} from '@convergio/policy/grant';
import {
  checkSbom,
  loadOsvDatabase,
  OsvDatabase,
  SbomError,
  SEVERITIES,
  type Severity,
} from '@convergio/sbom';
import { decodeBase64url } from '@convergio/signing';
import { CliError, ExitCode, inputError } from '../exit-codes.js';
import { readLocalFile } from '../local-files.js';
import { printResult, shown } from '../output.js';
import { readPackage } from '../package/package-sources.js';
import { findingsView } from '../state-views.js';

interface VerifyOptions {
  sbom?: string;
  publicKey?: string;
  signerTrust: SignerTrust;
  osv?: string;
  rejectAt: Severity;
  coreVersion: string;
  policy?: string;
  json?: boolean;
}

/** The core version a platform started with defaults checks against (CORE_VERSION). */
const DEFAULT_CORE_VERSION = '0.1.0';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .summary('check a package offline, as the platform would')
    .description(
      "Runs the platform's own checks (the same libraries and codes as its verification " +
        'service) on a package, offline: how plugin.json is read (duplicate keys, unsafe ' +
        'numbers), the schema, the module hash, the module, the signature against --public-key ' +
        '(the key of the signer plugin.json names), trust, the operator policy (--policy), the ' +
        'core version and the SBOM against an OSV database (--osv). Prints every finding; exit ' +
        'status 1 when the platform would reject the package. The keyring and key continuity of a ' +
        'running platform are not known here: without --public-key a signed manifest is ' +
        'signer_unknown.',
    )
    .argument('<package...>', 'a package directory, a .tgz, or plugin.json and module.wasm')
    .option('--sbom <file>', "a CycloneDX JSON SBOM (instead of the package's sbom.cdx.json)")
    .option('--public-key <key>', "the signer's Ed25519 public key, unpadded base64url")
    .addOption(
      new Option('--signer-trust <trust>', 'the trust the keyring gives that signer')
        .choices(['trusted', 'official'])
        .default('trusted'),
    )
    .option('--osv <dir>', 'a folder of OSV records to match the SBOM against')
    .addOption(
      new Option(
        '--reject-at <severity>',
        'a known vulnerability of this severity or above rejects',
      )
        .choices(SEVERITIES)
        .default('high'),
    )
    .option('--core-version <version>', 'the core version to check against', DEFAULT_CORE_VERSION)
    .option(
      '--policy <file>',
      "the operator's grant policy file (JSON or YAML); default: the built-in one",
    )
    .option('--json', 'print {"ok", "plugin_id", "version", "signed_by", "findings"}')
    .addHelpText(
      'after',
      `
Examples:
  convergio verify ./my-plugin --public-key "$(cat acme.pub)"
  convergio verify plugin.json build/greet.wasm --osv ./osv --reject-at medium --json`,
    )
    .action(async (paths: string[], options: VerifyOptions) => {
      const pkg = await readPackage('verify', paths, options.sbom, { contents: false });
      const signerId = signerIdOf(pkg.manifest);
      const check = await checkSubmission(pkg.manifest, pkg.module, {
        coreVersion: options.coreVersion,
        keyring: keyringOf(signerId, options),
        policy: await policyOf(options.policy),
        grantContext: (pluginId) => ({
          pluginId,
          pluginDir: `/plugin-files/${pluginId}`,
          protection: { roots: [], ownDir: `/plugin-files/${pluginId}` },
          realPath: (path) => path,
        }),
        hostFunctions: HOST_FUNCTIONS,
        inputSchemaBounds: DEFAULT_INPUT_SCHEMA_BOUNDS,
      });
      const sbom = pkg.sbom && (await checkSbom(pkg.sbom, await databaseOf(options.osv), options));
      const blocking = [...(check.ok ? [] : check.findings), ...sbomFindings(sbom, 'blocking')];
      const ok = blocking.length === 0;
      const findings = ok ? sbomFindings(sbom, 'recorded') : blocking;
      const signedBy = check.ok ? check.signature : null;
      const result = {
        ok,
        plugin_id: pkg.manifest.id,
        version: pkg.manifest.version,
        signed_by: signedBy && {
          signer_id: signedBy.signerId,
          key_id: signedBy.keyId,
          trust: signedBy.trust,
        },
        findings,
      };
      printResult(options.json ?? false, result, () =>
        [
          shown(
            `${String(pkg.manifest.id)} ${String(pkg.manifest.version)}: ${ok ? 'verified' : 'rejected'}${
              signedBy ? `, signed by ${signedBy.signerId}` : ok ? ', unsigned' : ''
            }`,
          ),
          ...findingsView('findings', findings),
        ].join('\n'),
      );
      if (!ok) process.exitCode = ExitCode.refused;
    });
}

function signerIdOf(manifest: Record<string, unknown>): string | undefined {
  const signing = manifest.signing as { signer_id?: unknown } | undefined;
  return typeof signing?.signer_id === 'string' ? signing.signer_id : undefined;
}

/** A keyring holding the one signer the manifest names, with the key given, if any. */
function keyringOf(signerId: string | undefined, options: VerifyOptions): Keyring {
  if (!options.publicKey || signerId === undefined) return EMPTY_KEYRING;
  const publicKey = decodeBase64url(options.publicKey);
  if (!publicKey)
    throw inputError(
      'signer_key_invalid',
      '--public-key is not unpadded base64url',
      'give the key `convergio keygen` printed',
    );
  return {
    ...EMPTY_KEYRING,
    signer: (id) =>
      id === signerId
        ? {
            id,
            trust: options.signerTrust,
            revoked: false,
            keys: [{ keyId: keyIdOf(publicKey), publicKey, rotatedAt: null }],
          }
        : undefined,
  };
}

async function policyOf(file: string | undefined): Promise<GrantPolicy> {
  if (!file) return DEFAULT_GRANT_POLICY;
  const text = (await readLocalFile(file, 'the grant policy')).toString('utf8');
  try {
    return parseGrantPolicy(text, file);
  } catch (error) {
    if (!(error instanceof GrantPolicyError)) throw error;
    throw new CliError(ExitCode.input, 'policy_invalid', error.message, 'fix the policy file');
  }
}

async function databaseOf(dir: string | undefined): Promise<OsvDatabase> {
  if (!dir) return new OsvDatabase([], 0);
  try {
    return await loadOsvDatabase(dir);
  } catch (error) {
    if (!(error instanceof SbomError))
      throw inputError('osv_database_invalid', `${dir}: ${(error as Error).message}`);
    throw inputError(error.code, error.message, 'fix or remove the record named');
  }
}

function sbomFindings(
  sbom: Awaited<ReturnType<typeof checkSbom>> | undefined,
  which: 'blocking' | 'recorded',
): Finding[] {
  if (!sbom) return [];
  if (!sbom.ok) return which === 'blocking' ? sbom.findings : [];
  return sbom[which];
}
