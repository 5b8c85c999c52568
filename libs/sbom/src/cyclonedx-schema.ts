import {
  JsonStrictValidator,
  MissingOptionalDependencyError,
  NotImplementedError,
} from '@cyclonedx/cyclonedx-library/Validation';
import type { Spec } from '@cyclonedx/cyclonedx-library';

/** CycloneDX versions {@link checkSbom} validates: those with a JSON schema in the library. */
export const CYCLONEDX_SPEC_VERSIONS = ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7'] as const;

/** One problem the CycloneDX JSON schema reports (an ajv `ErrorObject`, loosely typed). */
export interface SchemaProblem {
  instancePath?: unknown;
  message?: unknown;
  params?: unknown;
}

const validators = new Map<string, JsonStrictValidator>();

/** True for a `specVersion` in {@link CYCLONEDX_SPEC_VERSIONS}. */
export function isSupportedSpecVersion(version: unknown): version is string {
  return (CYCLONEDX_SPEC_VERSIONS as readonly unknown[]).includes(version);
}

/**
 * The problems the CycloneDX JSON schema of `specVersion` finds in `text` (none when valid),
 * with `@cyclonedx/cyclonedx-library`'s `JsonStrictValidator` (ajv, formats, no remote
 * schemas). ajv stops at the first failing keyword, so a document with several faults may show
 * only the first. The validator of each version is compiled on first use (about a second) and
 * kept.
 *
 * @throws the library's `MissingOptionalDependencyError` when ajv, ajv-formats or
 *   ajv-formats-draft2019 cannot be loaded: a deployment fault, not a fault of the SBOM.
 */
export async function schemaProblems(text: string, specVersion: string): Promise<SchemaProblem[]> {
  let validator = validators.get(specVersion);
  if (!validator) {
    validator = new JsonStrictValidator(specVersion as Spec.Version);
    validators.set(specVersion, validator);
  }
  const errors: unknown = await validator.validate(text);
  if (errors === null) return [];
  return Array.isArray(errors)
    ? (errors as SchemaProblem[])
    : [{ message: JSON.stringify(errors) }];
}

/** True for the library's errors that say the validator cannot run here, whatever the SBOM. */
export function isDeploymentFault(error: unknown): boolean {
  return error instanceof MissingOptionalDependencyError || error instanceof NotImplementedError;
}
