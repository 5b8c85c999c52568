import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { ExecutorConfig } from './config/executor.config.js';
import { executorPersistence, ExecutorModule } from './index.js';

await runService('executor', ExecutorConfig, (env) => ({
  feature: ExecutorModule.register({
    timeoutMs: env.EXECUTOR_TIMEOUT_MS,
    maxMemoryPages: env.EXECUTOR_MAX_MEMORY_PAGES,
  }),
  persistence: executorPersistence,
}));
