import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { ApprovalConfig, approvalSettings } from './config/approval.config.js';
import { approvalPersistence, ApprovalModule } from './index.js';

await runService('approval', ApprovalConfig, (env) => ({
  feature: ApprovalModule.register(approvalSettings(env)),
  persistence: approvalPersistence,
}));
