import { processedEventEntity } from '@convergio/persistence';
import { VersionRecordRow } from './versions/version-record.entity.js';
import { ExecutorInit1764300000000 } from './migrations/1764300000000-executor-init.js';
import { ExecutorPolicyViolations1764500000000 } from './migrations/1764500000000-executor-policy-violations.js';
import { ExecutorPluginVersions1764800000000 } from './migrations/1764800000000-executor-plugin-versions.js';
import { ExecutorOutbox1765100000000 } from './migrations/1765100000000-executor-outbox.js';
import { ExecutorOutboxDeadLetters1766600000000 } from './migrations/1766600000000-executor-outbox-dead-letters.js';
import { ExecutorVersionPublisher1767400000000 } from './migrations/1767400000000-executor-version-publisher.js';
import { EXECUTOR_SCHEMA } from './executor.schema.js';

export { ExecutorModule } from './executor.module.js';
export {
  executorSettings,
  ExecutorLimitsEnv,
  type ExecutorSettings,
} from './config/executor.config.js';
/** Tables and migrations of the executor. */
export const executorPersistence = {
  schema: EXECUTOR_SCHEMA,
  entities: [VersionRecordRow, processedEventEntity(EXECUTOR_SCHEMA)],
  migrations: [
    ExecutorInit1764300000000,
    ExecutorPolicyViolations1764500000000,
    ExecutorPluginVersions1764800000000,
    ExecutorOutbox1765100000000,
    ExecutorOutboxDeadLetters1766600000000,
    ExecutorVersionPublisher1767400000000,
  ],
};
