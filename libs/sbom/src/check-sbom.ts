import type { Finding } from '@convergio/contracts';
import { boundedText, MAX_FINDING_PATH, MAX_FINDING_TEXT } from './bounded-text.js';
import { severityAtLeast, type Severity } from './codes.js';
import {
  isDeploymentFault,
  isSupportedSpecVersion,
  schemaProblems,
  type SchemaProblem,
} from './cyclonedx-schema.js';
import { vulnerableComponents } from './match-components.js';
import type { OsvDatabase } from './osv-database.js';
import {
  isObject,
  readSbom,
  SBOM_LIMITS,
  sbomComponents,
  type SbomLimits,
} from './sbom-document.js';

/** Options of {@link checkSbom}. */
export interface SbomCheckOptions {
  /** Vulnerabilities of this severity or above block the submission. */
  rejectAt: Severity;
  /** Bounds on the SBOM; each one left out is {@link SBOM_LIMITS}'. */
  limits?: Partial<SbomLimits>;
}

/**
 * The outcome of {@link checkSbom}: the SBOM refused (`findings` say why, codes `sbom_*`), or
 * read, with its number of components (nested ones included) and its `vulnerable_component`
 * findings split by severity.
 */
export type SbomCheck =
  | { ok: false; findings: Finding[] }
  | { ok: true; components: number; blocking: Finding[]; recorded: Finding[] };

/** Most `sbom_invalid` findings one check reports. */
const MAX_SCHEMA_FINDINGS = 100;

/**
 * Checks a CycloneDX JSON SBOM (https://cyclonedx.org/specification/overview/) and matches its
 * components against `db`. In order, the first failing step ends the check with `ok: false`:
 *
 * 1. `sbom_malformed`: more than `limits.maxBytes` bytes, not strict UTF-8, nesting deeper than
 *    `limits.maxDepth`, not JSON, not a JSON object, or more than `limits.maxComponents`
 *    components.
 * 2. `sbom_unsupported`: `bomFormat` is not `CycloneDX` or `specVersion` is not 1.2–1.7.
 * 3. `sbom_invalid`: the CycloneDX JSON schema of that version refuses it; one finding per
 *    problem ajv reports (at most 100), `path` its JSON pointer.
 *
 * Then every component with a purl (in `components`, at any depth) is matched: purl parsed with
 * packageurl-js, its type mapped to an OSV ecosystem, the version taken from the purl, else from
 * the component. Components without a purl, with a purl that does not parse, of a type not
 * mapped or with no version are not matched. Each distinct package version and OSV record that
 * match give one `vulnerable_component` finding (`path` the pointer of the first component
 * naming that version, `value` the OSV id), in `blocking` when the record's severity is
 * `rejectAt` or above, else in `recorded`. A record with no severity this lib can read counts
 * as `medium`, and the message says so.
 *
 * Plugin-controlled text in findings has control characters and lone surrogates escaped and is
 * cut to the Finding schema's lengths (libs/contracts).
 *
 * Async because the library's validator is. Never rejects because of the SBOM: an unexpected
 * exception while checking refuses it (`sbom_invalid`, fail closed); the promise is rejected
 * only when the CycloneDX validator cannot be loaded (a deployment fault).
 */
export async function checkSbom(
  bytes: Uint8Array,
  db: OsvDatabase,
  options: SbomCheckOptions,
): Promise<SbomCheck> {
  try {
    return await check(bytes, db, options);
  } catch (error) {
    if (isDeploymentFault(error)) throw error;
    // Fails closed: a fault of this lib or of a library on some input refuses the SBOM.
    return refused('sbom_invalid', `the SBOM could not be checked (${errorName(error)})`);
  }
}

async function check(
  bytes: Uint8Array,
  db: OsvDatabase,
  options: SbomCheckOptions,
): Promise<SbomCheck> {
  const limits: SbomLimits = { ...SBOM_LIMITS, ...options.limits };
  const read = readSbom(bytes, limits);
  if (!read.ok) return refused('sbom_malformed', read.message);
  const bom = read.value;
  if (!isObject(bom)) return refused('sbom_malformed', 'the SBOM is not a JSON object');
  const components = sbomComponents(bom, limits.maxComponents);
  if (components === undefined)
    return refused(
      'sbom_malformed',
      `the SBOM holds more than ${limits.maxComponents} components`,
      '/components',
    );
  if (bom.bomFormat !== 'CycloneDX')
    return refused('sbom_unsupported', 'bomFormat is not "CycloneDX"', '/bomFormat', bom.bomFormat);
  if (!isSupportedSpecVersion(bom.specVersion))
    return refused(
      'sbom_unsupported',
      'specVersion is not one of 1.2, 1.3, 1.4, 1.5, 1.6, 1.7',
      '/specVersion',
      bom.specVersion,
    );
  const problems = await schemaProblems(bom, bom.specVersion);
  if (problems.length > 0)
    return { ok: false, findings: problems.slice(0, MAX_SCHEMA_FINDINGS).map(schemaFinding) };

  const blocking: Finding[] = [];
  const recorded: Finding[] = [];
  for (const found of vulnerableComponents(components, db))
    (severityAtLeast(found.severity, options.rejectAt) ? blocking : recorded).push(found.finding);
  return { ok: true, components: components.length, blocking, recorded };
}

function refused(
  code: 'sbom_malformed' | 'sbom_unsupported' | 'sbom_invalid',
  message: string,
  path?: string,
  value?: unknown,
): SbomCheck {
  const finding: Finding = { code, message };
  if (path !== undefined) finding.path = path;
  if (value !== undefined)
    finding.value = boundedText(JSON.stringify(value) ?? '', MAX_FINDING_TEXT);
  return { ok: false, findings: [finding] };
}

function schemaFinding(problem: SchemaProblem): Finding {
  const path = typeof problem.instancePath === 'string' ? problem.instancePath : '';
  const params = JSON.stringify(problem.params ?? {});
  const message = `${path || 'the SBOM'} ${typeof problem.message === 'string' ? problem.message : 'is not valid'} ${params}`;
  return {
    code: 'sbom_invalid',
    message: boundedText(message, MAX_FINDING_TEXT),
    path: boundedText(path, MAX_FINDING_PATH),
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? boundedText(error.name, 100) : typeof error;
}
