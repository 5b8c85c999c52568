import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule, outboxProviders } from '@convergio/messaging';
import { ApprovalHandler } from './approvals/approval.handler.js';
import { ApprovalQueue } from './approvals/approval-queue.js';
import { ApprovalService } from './approvals/approval.service.js';
import { ApprovalWithdrawals } from './approvals/approval-withdrawals.js';
import { DecisionService } from './approvals/decision.service.js';
import { APPROVAL_SCHEMA, APPROVAL_SERVICE } from './approval.schema.js';
import { APPROVAL_SETTINGS, type ApprovalSettings } from './config/approval.config.js';

/** The approval service's features under the operator's settings. */
@Module({})
export class ApprovalModule {
  static register(settings: ApprovalSettings): DynamicModule {
    return {
      module: ApprovalModule,
      imports: [MessagingModule.forService(APPROVAL_SERVICE)],
      controllers: [ApprovalHandler],
      providers: [
        ApprovalService,
        ApprovalQueue,
        DecisionService,
        ApprovalWithdrawals,
        { provide: APPROVAL_SETTINGS, useValue: settings },
        ...outboxProviders(APPROVAL_SCHEMA),
      ],
    };
  }
}
