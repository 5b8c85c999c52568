import { ManifestSchema } from '@convergio/contracts';
import { moduleSha256, parseManifestText } from '@convergio/signing';
import { CliError, ExitCode, inputError } from '../exit-codes.js';

/** The manifest of a package, at its root. */
export const MANIFEST_FILE = 'plugin.json';
/** The optional CycloneDX SBOM of a package, at its root. */
export const SBOM_FILE = 'sbom.cdx.json';

// The schema's own rule for a module's file name, so pack and the gateway agree.
const ENTRYPOINT = new RegExp(ManifestSchema.properties.entrypoint.pattern ?? '\\.wasm$');

/** The files of a plugin package, checked: what `pack` writes and `submit` sends. */
export interface PluginPackage {
  manifestText: Buffer;
  manifest: { id?: unknown; version?: unknown; entrypoint: string } & Record<string, unknown>;
  /** The module's file name: the manifest's `entrypoint`. */
  moduleName: string;
  module: Buffer;
  sbom?: Buffer;
}

/** The files found for a package, before they are checked. */
export interface PackageFiles {
  /** Where they came from, for messages: a directory, a tarball, a manifest path. */
  source: string;
  manifestText?: Buffer;
  /** The module, looked up by the entrypoint the manifest names. */
  module: (entrypoint: string) => Promise<Buffer | undefined>;
  sbom?: Buffer;
}

/** How much {@link checkPackage} checks beyond completeness. */
export interface PackageCheckOptions {
  /**
   * Refuse a module that is not what `signing.sha256` declares and an SBOM that is not JSON
   * (default); `verify` leaves both to the platform's checks, which report them as findings.
   */
  contents?: boolean;
}

/**
 * Checks that a package is complete before anything is sent: plugin.json parses as the platform
 * reads it (`parseManifestText`, the signing lib's codes), names its module by a valid
 * `entrypoint`, the module is there and (unless `contents` is false) is what `signing.sha256`
 * declares, and the SBOM (if any) is JSON. The full manifest schema is left to the gateway,
 * which lists every problem.
 */
export async function checkPackage(
  files: PackageFiles,
  { contents = true }: PackageCheckOptions = {},
): Promise<PluginPackage> {
  const { source, manifestText, sbom } = files;
  if (!manifestText)
    throw inputError(
      'package_incomplete',
      `${source} has no ${MANIFEST_FILE}`,
      `a package is a directory (or .tgz) holding ${MANIFEST_FILE}, the module it names and optionally ${SBOM_FILE}`,
    );
  const parsed = parseManifestText(manifestText);
  if (!parsed.ok)
    throw new CliError(
      ExitCode.input,
      parsed.code,
      `${source}: ${parsed.message}${parsed.path ? ` (at ${parsed.path})` : ''}`,
      `fix ${MANIFEST_FILE}`,
      parsed.details,
    );
  const manifest = parsed.value;
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    throw inputError('manifest_invalid_json', `${source}: ${MANIFEST_FILE} is not a JSON object`);
  const entrypoint = (manifest as Record<string, unknown>).entrypoint;
  if (typeof entrypoint !== 'string' || !ENTRYPOINT.test(entrypoint))
    throw inputError(
      'manifest_entrypoint_invalid',
      `${source}: ${MANIFEST_FILE} names no module: "entrypoint" must be a file name ending in .wasm`,
      'set "entrypoint" to the module\'s file name, e.g. "greet.wasm"',
    );
  const module = await files.module(entrypoint);
  if (!module?.length)
    throw inputError(
      'package_incomplete',
      `${source} has no ${entrypoint}, the module ${MANIFEST_FILE}'s entrypoint names`,
      'build the module, or put it next to plugin.json',
    );
  if (contents) {
    checkModuleHash(source, manifest as Record<string, unknown>, module);
    if (sbom) checkSbom(source, sbom);
  }
  return {
    manifestText,
    manifest: manifest as PluginPackage['manifest'],
    moduleName: entrypoint,
    module,
    ...(sbom && { sbom }),
  };
}

function checkModuleHash(source: string, manifest: Record<string, unknown>, module: Buffer) {
  const signing = manifest.signing;
  const declared =
    typeof signing === 'object' && signing !== null
      ? (signing as Record<string, unknown>).sha256
      : undefined;
  const actual = moduleSha256(module);
  if (declared !== actual)
    throw inputError(
      'module_hash_mismatch',
      `${source}: the module's SHA-256 is ${actual}, ${MANIFEST_FILE} declares ${
        typeof declared === 'string' ? declared : 'none'
      } (signing.sha256)`,
      '`convergio sign` sets it (and signs); or set signing.sha256 to the hash above',
    );
}

function checkSbom(source: string, sbom: Buffer) {
  try {
    JSON.parse(sbom.toString('utf8'));
  } catch {
    throw inputError(
      'sbom_invalid_json',
      `${source}: the SBOM is not JSON`,
      `${SBOM_FILE} holds a CycloneDX JSON document`,
    );
  }
}
