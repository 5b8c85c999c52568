import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DomainError,
  EventSubjects,
  type ApprovalItem,
  type RequestMap,
} from '@convergio/contracts';
import { TransactionalOutbox, type MessageContext } from '@convergio/messaging';
import { APPROVAL_SETTINGS, type ApprovalSettings } from '../config/approval.config.js';
import { toItem } from './approval-item.js';
import { Approval } from './approval.entity.js';
import { ApprovalService } from './approval.service.js';
import { signerChange } from './key-continuity.js';
import { approvalsRequired, checkApprover } from './separation-of-duties.js';
import { checkTrust } from './trust.js';

type DecideRequest = RequestMap['approval.decide'];

/**
 * An admin's decision on a pending version, under separation of duties: nobody approves what
 * they submitted, and a version needing two approvals stays pending until a second, different
 * admin approves it. Every decision is an event naming its actor; so is every refusal of an
 * approval by those rules, which changes nothing else.
 */
@Injectable()
export class DecisionService implements OnApplicationBootstrap {
  private readonly log = new Logger('Approval');

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
    private readonly approvals: ApprovalService,
    @Inject(APPROVAL_SETTINGS) private readonly settings: ApprovalSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.allowSelfApproval)
      this.log.warn(
        'APPROVAL_ALLOW_SELF_APPROVAL is on: an admin may approve a version they submitted. ' +
          'For a single-user development setup only; never in production.',
      );
  }

  /**
   * Approves or rejects a pending version. Throws not_found, invalid_state (not pending),
   * validation_failed (`trust_not_allowed`, `proc_exec_untrusted`, `signer_changed`,
   * `trust_differs`) or forbidden (`self_approval_forbidden`, `second_approver_required`); a
   * forbidden refusal is announced as plugin.approval_refused.
   */
  async decide(req: DecideRequest, context: MessageContext): Promise<ApprovalItem> {
    try {
      return await this.dataSource.transaction((manager) => this.decideIn(manager, req, context));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'forbidden')
        await this.outbox.record(
          EventSubjects.ApprovalRefused,
          {
            plugin_id: req.plugin_id,
            version: req.version,
            actor: req.decided_by,
            decision: req.decision,
            code: error.details[0]?.code ?? error.code,
            message: error.message,
          },
          context,
        );
      throw error;
    }
  }

  private async decideIn(
    manager: EntityManager,
    req: DecideRequest,
    context: MessageContext,
  ): Promise<ApprovalItem> {
    const approval = await findPending(manager, req.plugin_id, req.version);
    if (req.decision === 'reject') return this.reject(manager, approval, req, context);
    // Who may approve is checked first, so that a forbidden attempt is always recorded.
    checkApprover(
      approval,
      {
        keyId: req.decided_by,
        publisher: req.decided_by_publisher ?? null,
        kin: req.decided_by_kin ?? [],
      },
      this.settings.allowSelfApproval,
    );
    const first = approval.approvals[0];
    const trust = req.trust ?? first?.trust ?? approval.trust;
    checkTrust(approval, trust);
    const change = await signerChange(manager, approval.pluginId, approval.signedBy);
    if (change) throw change;
    if (first && first.trust !== trust)
      throw new DomainError(
        'validation_failed',
        `the first approval designated "${first.trust}": approve with that trust, or reject`,
        [
          {
            code: 'trust_differs',
            message: `the first approval asked for "${first.trust}"`,
            path: '/trust',
          },
        ],
      );
    const note = req.note ?? null;
    const decidedAt = new Date();
    approval.approvals = [
      ...approval.approvals,
      { actor: req.decided_by, at: decidedAt.toISOString(), trust, note },
    ];
    const required = approvalsRequired(approval.manifest, trust);
    if (approval.approvals.length < required) {
      await manager.save(approval);
      await this.outbox.add(
        manager,
        EventSubjects.ApprovalRecorded,
        {
          plugin_id: approval.pluginId,
          version: approval.version,
          actor: req.decided_by,
          trust,
          ...(note !== null && { note }),
          approvals: approval.approvals.length,
          approvals_required: required,
        },
        context,
      );
      return toItem(approval);
    }
    Object.assign(approval, {
      status: 'approved',
      decidedAt,
      decidedBy: req.decided_by,
      note,
      trust,
    });
    await manager.save(approval);
    await this.approvals.publishApproved(manager, approval, context);
    return toItem(approval);
  }

  private async reject(
    manager: EntityManager,
    approval: Approval,
    req: DecideRequest,
    context: MessageContext,
  ): Promise<ApprovalItem> {
    Object.assign(approval, {
      status: 'rejected',
      decidedAt: new Date(),
      decidedBy: req.decided_by,
      note: req.note ?? null,
    });
    await manager.save(approval);
    await this.outbox.add(
      manager,
      EventSubjects.PluginRejected,
      {
        plugin_id: approval.pluginId,
        version: approval.version,
        stage: 'approval',
        reasons: [{ code: 'rejected_by_admin', message: req.note ?? 'rejected by an admin' }],
        rejected_by: req.decided_by,
        actor: req.decided_by,
      },
      context,
    );
    return toItem(approval);
  }
}

async function findPending(
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
    throw new DomainError('invalid_state', `${pluginId}@${version} is already ${approval.status}`);
  return approval;
}
