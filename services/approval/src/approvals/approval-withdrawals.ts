import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventSubjects, type EventEnvelope } from '@convergio/contracts';
import { TransactionalOutbox, type MessageContext } from '@convergio/messaging';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { APPROVAL_SCHEMA, APPROVAL_SERVICE } from '../approval.schema.js';
import { Approval } from './approval.entity.js';

const ProcessedEvent = processedEventEntity(APPROVAL_SCHEMA);

/**
 * Separation of duties outlives a key: the approvals a revoked API key gave to versions still
 * pending no longer count (a compromised key's half of a two-admin approval must not be completed
 * by the next admin). Each withdrawal is announced as plugin.approval_withdrawn.
 */
@Injectable()
export class ApprovalWithdrawals {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
  ) {}

  async onKeyRevoked(
    event: EventEnvelope<'api_key.revoked'>,
    context: MessageContext,
  ): Promise<void> {
    const { key_id: approver, actor } = event.data;
    await handleOnce(this.dataSource, ProcessedEvent, APPROVAL_SERVICE, event.id, async (m) => {
      const pending = await m
        .getRepository(Approval)
        .createQueryBuilder('a')
        .setLock('pessimistic_write')
        .where(`a.status = 'pending'`)
        .andWhere(`a.approvals @> :given::jsonb`, { given: JSON.stringify([{ actor: approver }]) })
        .getMany();
      for (const approval of pending) {
        approval.approvals = approval.approvals.filter((a) => a.actor !== approver);
        await m.save(approval);
        await this.outbox.add(
          m,
          EventSubjects.ApprovalWithdrawn,
          {
            plugin_id: approval.pluginId,
            version: approval.version,
            approver,
            actor,
          },
          context,
        );
      }
    });
  }
}
