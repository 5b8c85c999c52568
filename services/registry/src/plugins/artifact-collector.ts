import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ARTIFACT_STORE, type ArtifactStore } from '@convergio/artifacts';
import {
  digestsOnlyRejected,
  distinctDigests,
  isReferenced,
  lockArtifacts,
} from './artifact-references.js';
import { PluginVersion } from './plugin-version.entity.js';

/**
 * Deletes the module and SBOM of rejected versions from the artifact store, unless a version
 * that is not rejected still names the same content (ADR 0019). Runs after each
 * `plugin.rejected` the registry applies (again on a redelivery: it is idempotent), and once
 * at start for rejected versions whose files remain.
 */
@Injectable()
export class ArtifactCollector implements OnApplicationBootstrap {
  private readonly log = new Logger('ArtifactCollector');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  /** The sweep at start, in the background: a failure is logged and left to the next start. */
  onApplicationBootstrap(): void {
    void this.sweep().catch((error: unknown) =>
      this.log.error(`sweep of rejected versions' artifacts failed: ${String(error)}`),
    );
  }

  /** Collects the module and SBOM of one version if it is rejected now; a no-op otherwise. */
  async collectRejected(pluginId: string, version: string): Promise<string[]> {
    const row = await this.dataSource.manager.findOneBy(PluginVersion, { pluginId, version });
    if (row?.status !== 'rejected') return [];
    return this.collect([row.moduleSha256, row.sbomSha256]);
  }

  /** Collects every digest that only rejected versions name and whose file is still there. */
  async sweep(): Promise<string[]> {
    const candidates = await digestsOnlyRejected(this.dataSource.manager);
    const present: string[] = [];
    for (const digest of candidates) if (await this.artifacts.has(digest)) present.push(digest);
    const removed = await this.collect(present);
    if (removed.length > 0)
      this.log.log(`deleted ${removed.length} artifact(s) that only rejected versions named`);
    return removed;
  }

  /**
   * Deletes each digest's file unless a version that is not rejected names it, deciding under
   * the digest's lock (see `lockArtifacts`). Answers the digests whose file was deleted.
   */
  async collect(digests: readonly (string | null | undefined)[]): Promise<string[]> {
    const removed: string[] = [];
    for (const digest of distinctDigests(digests)) {
      const deleted = await this.dataSource.transaction(async (manager) => {
        await lockArtifacts(manager, [digest]);
        if (await isReferenced(manager, digest)) return false;
        return this.artifacts.remove(digest);
      });
      if (deleted) removed.push(digest);
    }
    return removed;
  }
}
