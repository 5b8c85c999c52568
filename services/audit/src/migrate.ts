import 'reflect-metadata';
import { runMigrationStep } from '@convergio/runtime';
import { auditPersistence } from './index.js';

await runMigrationStep('audit', auditPersistence);
