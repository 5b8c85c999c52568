import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { ApprovalConfig } from './config/approval.config.js';
import { approvalPersistence, ApprovalModule } from './index.js';

await runService('approval', ApprovalConfig, () => ({
  feature: ApprovalModule,
  persistence: approvalPersistence,
}));
