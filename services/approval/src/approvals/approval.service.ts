import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DomainError,
  EventSubjects,
  type ApprovalItem,
  type ApprovalStatus,
  type EventEnvelope,
  type RequestMap,
} from '@convergio/contracts';
import { asksForMore, diffPermissions } from '@convergio/manifest';
import { BusClient } from '@convergio/messaging';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { APPROVAL_SCHEMA, APPROVAL_SERVICE } from '../approval.schema.js';
import { Approval } from './approval.entity.js';

const ProcessedEvent = processedEventEntity(APPROVAL_SCHEMA);
/** Who approved a version that needed no admin. */
const AUTO_APPROVER = 'auto';

/**
 * Clears verified versions to load: low-risk ones, and high-risk ones that ask
 * for nothing beyond what the last approved version was granted, automatically;
 * the rest wait for an admin.
 */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: BusClient,
  ) {}

  async onVerified(event: EventEnvelope<'plugin.verified'>): Promise<void> {
    const d = event.data;
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      APPROVAL_SERVICE,
      event.id,
      async (manager) => {
        const existing = await manager.findOneBy(Approval, {
          pluginId: d.plugin_id,
          version: d.version,
        });
        // A rejected version may be submitted again and is reviewed afresh; any other decision stands.
        if (existing && existing.status !== 'rejected') return;
        const previous = await manager.findOne(Approval, {
          where: { pluginId: d.plugin_id, status: 'approved' },
          order: { decidedAt: 'DESC' },
        });
        const diff = diffPermissions(previous?.manifest.permissions ?? {}, d.manifest.permissions);
        const needsAdmin = d.high_risk_permissions.length > 0 && (!previous || asksForMore(diff));
        const approval = manager.create(Approval, {
          pluginId: d.plugin_id,
          version: d.version,
          status: needsAdmin ? 'pending' : 'approved',
          trust: d.trust,
          manifest: d.manifest,
          moduleSha256: d.module_sha256,
          highRisk: d.high_risk_permissions,
          permissionDiff: diff,
          previousApprovedVersion: previous?.version ?? null,
          requestedAt: new Date(event.occurred_at),
          decidedAt: needsAdmin ? null : new Date(),
          decidedBy: needsAdmin ? null : AUTO_APPROVER,
          note: null,
        });
        await manager.save(approval);
        if (!needsAdmin) await this.publishApproved(approval);
      },
    );
  }

  /** A revoked version stops being the baseline that later versions are compared with. */
  async onRevoked(event: EventEnvelope<'plugin.revoked'>): Promise<void> {
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      APPROVAL_SERVICE,
      event.id,
      async (manager) => {
        await manager.update(
          Approval,
          { pluginId: event.data.plugin_id, version: event.data.version },
          { status: 'revoked' },
        );
      },
    );
  }

  async list(status: ApprovalStatus): Promise<{ items: ApprovalItem[] }> {
    const rows = await this.dataSource
      .getRepository(Approval)
      .find({ where: { status }, order: { requestedAt: 'ASC' } });
    return { items: rows.map(toItem) };
  }

  async decide(req: RequestMap['approval.decide']): Promise<ApprovalItem> {
    if (req.trust && req.trust !== 'untrusted') {
      // Trust is earned by a verified signature, which an admin's word cannot replace.
      throw new DomainError(
        'validation_failed',
        `trust "${req.trust}" needs a verified signature; only "untrusted" can be granted here`,
      );
    }
    return this.dataSource.transaction(async (manager) => {
      const approval = await this.findPending(manager, req.plugin_id, req.version);
      approval.status = req.decision === 'approve' ? 'approved' : 'rejected';
      approval.decidedAt = new Date();
      approval.decidedBy = req.decided_by;
      approval.note = req.note ?? null;
      if (req.trust) approval.trust = req.trust;
      await manager.save(approval);
      if (approval.status === 'approved') await this.publishApproved(approval);
      else
        await this.bus.publish(EventSubjects.PluginRejected, {
          plugin_id: approval.pluginId,
          version: approval.version,
          stage: 'approval',
          reasons: [{ code: 'rejected_by_admin', message: req.note ?? 'rejected by an admin' }],
          rejected_by: req.decided_by,
        });
      return toItem(approval);
    });
  }

  private async findPending(
    manager: EntityManager,
    pluginId: string,
    version: string,
  ): Promise<Approval> {
    const approval = await manager.findOne(Approval, {
      where: { pluginId, version },
      lock: { mode: 'pessimistic_write' },
    });
    if (!approval) throw new DomainError('not_found', `no review for ${pluginId}@${version}`);
    if (approval.status !== 'pending')
      throw new DomainError(
        'invalid_state',
        `${pluginId}@${version} is already ${approval.status}`,
      );
    return approval;
  }

  private async publishApproved(a: Approval): Promise<void> {
    await this.bus.publish(EventSubjects.PluginApproved, {
      plugin_id: a.pluginId,
      version: a.version,
      manifest: a.manifest,
      module_sha256: a.moduleSha256,
      trust: a.trust,
      approved_by: a.decidedBy ?? AUTO_APPROVER,
      ...(a.note ? { note: a.note } : {}),
    });
  }
}

function toItem(a: Approval): ApprovalItem {
  return {
    plugin_id: a.pluginId,
    version: a.version,
    status: a.status,
    trust: a.trust,
    high_risk_permissions: a.highRisk,
    permissions: a.manifest.permissions,
    permission_diff: a.permissionDiff,
    previous_approved_version: a.previousApprovedVersion,
    requested_at: a.requestedAt.toISOString(),
    decided_by: a.decidedBy,
    note: a.note,
  };
}
