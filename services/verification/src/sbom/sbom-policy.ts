import { Type } from '@sinclair/typebox';
import { ConfigError } from '@convergio/config';
import {
  loadOsvDatabase,
  OsvDatabase,
  SbomError,
  SEVERITIES,
  type Severity,
} from '@convergio/sbom';

/** Injection token of the {@link SbomPolicy}. */
export const SBOM_POLICY = Symbol('SBOM_POLICY');

/** The settings of SBOM checks, shared by the verification service and standalone mode. */
export const SbomEnv = {
  OSV_DATABASE_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'folder of OSV records (*.json, each a record or an array) that SBOM components are matched against, read at boot; unset: SBOMs are validated, nothing is matched',
    }),
  ),
  SBOM_REJECT_SEVERITY: Type.Union(
    SEVERITIES.map((s) => Type.Literal(s)),
    {
      default: 'high',
      description:
        'a known vulnerability of this severity or above rejects the submission; lower ones are recorded as findings on the version',
    },
  ),
  SBOM_REQUIRED: Type.Boolean({
    default: false,
    description: 'reject a submission that carries no SBOM (sbom_missing)',
  }),
};

/** The operator's SBOM policy: the vulnerability database, the rejection threshold, whether an SBOM is required. */
export interface SbomPolicy {
  database: OsvDatabase;
  rejectAt: Severity;
  required: boolean;
}

/**
 * The policy the environment describes, its OSV database loaded. Throws `ConfigError` naming
 * OSV_DATABASE_DIR, the file and the problem when the database cannot be read, so a bad
 * database stops the service at boot with one message.
 */
export async function sbomPolicyOf(env: {
  OSV_DATABASE_DIR?: string;
  SBOM_REJECT_SEVERITY: Severity;
  SBOM_REQUIRED: boolean;
}): Promise<SbomPolicy> {
  return {
    database: env.OSV_DATABASE_DIR
      ? await loadDatabase(env.OSV_DATABASE_DIR)
      : new OsvDatabase([], 0),
    rejectAt: env.SBOM_REJECT_SEVERITY,
    required: env.SBOM_REQUIRED,
  };
}

async function loadDatabase(dir: string): Promise<OsvDatabase> {
  try {
    return await loadOsvDatabase(dir);
  } catch (error) {
    const problem =
      error instanceof SbomError
        ? error.message
        : `${dir} cannot be read (${(error as Error).message})`;
    throw new ConfigError([
      {
        variable: 'OSV_DATABASE_DIR',
        expected: 'a folder of valid OSV records',
        received: problem,
      },
    ]);
  }
}
