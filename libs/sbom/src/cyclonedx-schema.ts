import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';

const addFormats = addFormatsPlugin.default;

/** CycloneDX versions {@link checkSbom} validates: those with a JSON schema in the library. */
export const CYCLONEDX_SPEC_VERSIONS = ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7'] as const;

/** One problem the CycloneDX JSON schema reports (an ajv `ErrorObject`, loosely typed). */
export interface SchemaProblem {
  instancePath?: unknown;
  message?: unknown;
  params?: unknown;
}

/** RFC 5321 §4.5.3.1.3: a path, so an address, is at most 256 octets with its brackets. */
const MAX_EMAIL_LENGTH = 254;
/**
 * `idn-email` as a bound, linear check: one `@` with something on each side, no space. The
 * library's validator checks it with ajv-formats-draft2019 (smtp-address-parser), about 37 µs a
 * character: an SBOM of 16,000 long addresses in `metadata.authors` held verification's event
 * loop, and so every other publisher's submissions, for a minute (found by a review).
 */
const isIdnEmail = (value: string): boolean =>
  value.length <= MAX_EMAIL_LENGTH && /^[^\s@]+@[^\s@]+$/u.test(value);

/** The library's schemas (res/schema), the files its JsonStrictValidator reads. */
const SCHEMA_ROOT = join(
  dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res/schema',
);
/** Its strict schema of each version: 1.2 and 1.3 have one of their own. */
const strictSchemaFile = (specVersion: string) =>
  specVersion === '1.2' || specVersion === '1.3'
    ? `bom-${specVersion}-strict.SNAPSHOT.schema.json`
    : `bom-${specVersion}.SNAPSHOT.schema.json`;
/** The schemas the CycloneDX schemas refer to, by the id they use. */
const REFERRED = [
  'spdx.SNAPSHOT.schema.json',
  'cryptography-defs.SNAPSHOT.schema.json',
  'jsf-0.82.SNAPSHOT.schema.json',
];
const validators = new Map<string, Promise<ValidateFunction>>();

/**
 * The strict JSON schema of `specVersion` compiled as `@cyclonedx/cyclonedx-library`'s
 * JsonStrictValidator compiles it (the same files, ajv options and formats, no remote schemas),
 * but for `idn-email` ({@link isIdnEmail}); about a second, once per version.
 */
async function compile(specVersion: string): Promise<ValidateFunction> {
  const read = async (file: string) =>
    JSON.parse(await readFile(join(SCHEMA_ROOT, file), 'utf8')) as AnySchema;
  const referred = await Promise.all(REFERRED.map(read));
  const ajv = new Ajv({
    useDefaults: false,
    strict: false,
    strictSchema: false,
    addUsedSchema: false,
    loadSchema: (uri) => Promise.reject(new Error(`remote schemas are disabled: ${uri}`)),
    schemas: Object.fromEntries(
      REFERRED.map((file, i) => [`http://cyclonedx.org/schema/${file}`, referred[i]]),
    ),
  });
  addFormats(ajv);
  ajv.addFormat('idn-email', isIdnEmail);
  ajv.addFormat('iri-reference', true);
  return ajv.compile(await read(strictSchemaFile(specVersion)));
}

/** True for a `specVersion` in {@link CYCLONEDX_SPEC_VERSIONS}. */
export function isSupportedSpecVersion(version: unknown): version is string {
  return (CYCLONEDX_SPEC_VERSIONS as readonly unknown[]).includes(version);
}

/**
 * The problems the CycloneDX JSON schema of `specVersion` finds in `bom` (none when valid).
 * ajv stops at the first failing keyword, so a document with several faults may show only the
 * first. The validator of each version is compiled on first use and kept.
 *
 * @throws when the schema files cannot be read or compiled: a deployment fault, not a fault of
 *   the SBOM ({@link isDeploymentFault}).
 */
export async function schemaProblems(bom: unknown, specVersion: string): Promise<SchemaProblem[]> {
  let validator = validators.get(specVersion);
  if (!validator) {
    validator = compile(specVersion).catch((error: unknown) => {
      validators.delete(specVersion);
      throw new SchemaUnavailableError(specVersion, error);
    });
    validators.set(specVersion, validator);
  }
  const validate = await validator;
  return validate(bom) ? [] : ((validate.errors ?? []) as SchemaProblem[]);
}

/** The CycloneDX schema of a version could not be loaded. */
class SchemaUnavailableError extends Error {
  constructor(specVersion: string, cause: unknown) {
    super(`the CycloneDX ${specVersion} JSON schema cannot be loaded`, { cause });
    this.name = 'SchemaUnavailableError';
  }
}

/** True for the errors that say the validator cannot run here, whatever the SBOM. */
export function isDeploymentFault(error: unknown): boolean {
  return error instanceof SchemaUnavailableError;
}
