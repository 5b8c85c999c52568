import type { EntityManager } from 'typeorm';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/**
 * First key of the registry's artifact locks (`pg_advisory_xact_lock(ARTIFACT_LOCK, hashtext(digest))`):
 * "ARTF". The two-key space never meets the one-key locks of migrations and the audit chain.
 */
const ARTIFACT_LOCK = 0x41525446;

/**
 * Takes, until `manager`'s transaction ends, the lock of each digest: held by a submission from
 * before it promotes its module and SBOM until it commits, and by the collector from before it
 * looks for references until it has deleted the file. So a collector either sees the committed
 * version that needs the file, or deletes it before the submission moves its upload in place.
 * Taken in sorted order, so two holders of several digests never wait on each other.
 */
export async function lockArtifacts(
  manager: EntityManager,
  digests: readonly (string | null | undefined)[],
): Promise<void> {
  for (const digest of distinctDigests(digests))
    await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ARTIFACT_LOCK, digest]);
}

/**
 * Whether a version that is not rejected names `digest` as its module or its SBOM (content is
 * addressed by its hash: two versions, of one plugin or of two, may share it). Rejected versions
 * never run or get scanned again, so they hold no reference; revoked ones keep theirs (the
 * record of what ran).
 */
export async function isReferenced(manager: EntityManager, digest: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `SELECT 1 FROM "${REGISTRY_SCHEMA}"."plugin_versions"
      WHERE status <> 'rejected' AND (module_sha256 = $1 OR sbom_sha256 = $1) LIMIT 1`,
    [digest],
  );
  return rows.length > 0;
}

/**
 * Digests that only rejected versions name and no other version does: what a sweep at start
 * collects when the files are still there (a registry that stopped between a rejection and
 * its collection, or files left by rejections from before collection existed).
 */
export async function digestsOnlyRejected(manager: EntityManager): Promise<string[]> {
  const table = `"${REGISTRY_SCHEMA}"."plugin_versions"`;
  const rows: { digest: string }[] = await manager.query(
    `SELECT r.digest FROM (
       SELECT module_sha256 AS digest FROM ${table} WHERE status = 'rejected'
       UNION
       SELECT sbom_sha256 FROM ${table} WHERE status = 'rejected' AND sbom_sha256 IS NOT NULL
     ) r
     WHERE NOT EXISTS (
       SELECT 1 FROM ${table} v
        WHERE v.status <> 'rejected' AND (v.module_sha256 = r.digest OR v.sbom_sha256 = r.digest)
     )
     ORDER BY r.digest`,
  );
  return rows.map((r) => r.digest);
}

/** The digests without nulls or repeats, sorted. */
export function distinctDigests(digests: readonly (string | null | undefined)[]): string[] {
  return [...new Set(digests.filter((d): d is string => typeof d === 'string'))].sort();
}
