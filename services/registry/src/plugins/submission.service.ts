import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DomainError,
  EventSubjects,
  type ErrorCode,
  type ErrorDetail,
  type ReplyMap,
  type RequestMap,
} from '@convergio/contracts';
import { checkNewVersion, isSemver } from '@convergio/manifest';
import { TransactionalOutbox, type MessageContext } from '@convergio/messaging';
import { ARTIFACT_STORE, ArtifactError, type ArtifactStore } from '@convergio/artifacts';
import { ArtifactCollector } from './artifact-collector.js';
import { distinctDigests, isReferenced, lockArtifacts } from './artifact-references.js';
import { Plugin } from './plugin.entity.js';
import { PluginVersion } from './plugin-version.entity.js';

type SubmitRequest = RequestMap['registry.submit'];
/** Refusals of a well-formed submission: each is recorded as plugin.submission_refused. */
const REFUSALS: ReadonlySet<ErrorCode> = new Set([
  'not_owner',
  'version_not_increasing',
  'version_exists',
]);

/**
 * Records submissions: the first accepted submission of an id claims it for its publisher, later
 * ones must come from that publisher and move the version forward. Nothing of a refused one
 * stays: the transaction rolls back and its staged module is never promoted (a failure after
 * promotion collects what no version names). A rejected version submitted again gives up its
 * old files unless another version names them (ADR 0019).
 */
@Injectable()
export class SubmissionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    private readonly collector: ArtifactCollector,
  ) {}
  private readonly log = new Logger('Submission');

  async submit(req: SubmitRequest, context: MessageContext): Promise<ReplyMap['registry.submit']> {
    const { id, version, name } = identify(req.manifest);
    try {
      return await this.dataSource.transaction((m) =>
        this.record(m, req, id, version, name, context),
      );
    } catch (error) {
      // A transaction that failed after promoting leaves files that no version names.
      await this.collector
        .collect([req.module_sha256, req.sbom?.sha256])
        .catch((e: unknown) =>
          this.log.warn(`artifacts of a failed submission kept: ${String(e)}`),
        );
      if (error instanceof DomainError && REFUSALS.has(error.code)) {
        // After the rollback, in a transaction of its own, so the record does not share its fate.
        await this.outbox.record(
          EventSubjects.SubmissionRefused,
          {
            plugin_id: id,
            version,
            publisher: req.publisher,
            submitted_by: req.submitted_by,
            code: error.code,
            message: error.message,
          },
          context,
        );
      }
      throw error;
    }
  }

  private async record(
    manager: EntityManager,
    req: SubmitRequest,
    id: string,
    version: string,
    name: string,
    context: MessageContext,
  ): Promise<ReplyMap['registry.submit']> {
    await this.claim(manager, id, req.publisher);
    const known = await manager.findBy(PluginVersion, { pluginId: id });
    const verdict = checkNewVersion(
      version,
      known.map((k) => ({ version: k.version, status: k.status, everApproved: !!k.approvedAt })),
    );
    if (!verdict.ok) throw new DomainError(verdict.code, `${id}: ${verdict.message}`);
    const fields = {
      name,
      status: 'submitted' as const,
      trust: null,
      manifest: req.manifest,
      moduleSha256: req.module_sha256,
      moduleSize: req.module_size,
      sbomSha256: req.sbom?.sha256 ?? null,
      sbomSize: req.sbom?.size ?? null,
      findings: [],
      loadedOn: [],
      loadFailure: null,
      approvedAt: null,
      submittedBy: req.submitted_by,
    };
    // A rejected version submitted again: the new submission takes its place from the start.
    const replaced = known.find((k) => k.version === verdict.replaces);
    const row = replaced ?? manager.create(PluginVersion, { pluginId: id, version });
    const before = replaced ? [replaced.moduleSha256, replaced.sbomSha256] : [];
    const after = [req.module_sha256, req.sbom?.sha256];
    // Held until commit: a collector deciding about these digests waits for this version
    // (ADR 0019), and this one never promotes into a file being collected.
    await lockArtifacts(manager, [...before, ...after]);
    await manager.save(Object.assign(row, fields, { submittedAt: new Date() }));
    await this.promote(req.upload_id, req.module_sha256, 'module');
    if (req.sbom) await this.promote(req.sbom.upload_id, req.sbom.sha256, 'SBOM');
    // The rejected version it replaces no longer names its files: collected if nothing else does.
    for (const digest of distinctDigests(before))
      if (!after.includes(digest) && !(await isReferenced(manager, digest)))
        await this.artifacts.remove(digest);
    // Written with the version: published once the transaction commits, never for a rollback.
    await this.outbox.add(
      manager,
      EventSubjects.PluginSubmitted,
      {
        plugin_id: id,
        version,
        manifest: req.manifest,
        module_sha256: req.module_sha256,
        module_size: req.module_size,
        ...(req.sbom && { sbom: { sha256: req.sbom.sha256, size: req.sbom.size } }),
        submitted_by: req.submitted_by,
        submitted_by_issuer: req.submitted_by_issuer ?? null,
        publisher: req.publisher,
      },
      context,
    );
    return { plugin_id: id, version, status: 'submitted' };
  }

  /** The first submission claims the id; the row stays locked until the transaction ends. */
  private async claim(manager: EntityManager, id: string, publisher: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(Plugin)
      .values({ pluginId: id, owner: publisher })
      .orIgnore()
      .execute();
    const plugin = await manager.findOne(Plugin, {
      where: { pluginId: id },
      lock: { mode: 'pessimistic_write' },
    });
    if (plugin?.owner !== publisher) {
      throw new DomainError(
        'not_owner',
        `plugin id ${id} belongs to another publisher; ask an admin to transfer it, or choose another id`,
      );
    }
  }

  private async promote(uploadId: string, sha256: string, what: string): Promise<void> {
    try {
      await this.artifacts.promote(uploadId, sha256);
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      throw new DomainError(
        'bad_request',
        `the ${what} upload ${uploadId} cannot be stored: ${error.message}`,
      );
    }
  }
}

function identify(manifest: Record<string, unknown>) {
  const id = typeof manifest.id === 'string' ? manifest.id : '';
  const version = typeof manifest.version === 'string' ? manifest.version : '';
  const name = typeof manifest.name === 'string' ? manifest.name : id;
  const details: ErrorDetail[] = [];
  if (!id) details.push({ code: 'required', message: 'must be the plugin id', path: '/id' });
  if (!isSemver(version))
    details.push({
      code: 'semver',
      message: `must be a semantic version MAJOR.MINOR.PATCH, each number at most ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER)`,
      path: '/version',
    });
  if (details.length > 0)
    throw new DomainError(
      'validation_failed',
      'manifest needs an id and a semver version',
      details,
    );
  return { id, version, name };
}
