import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { ExecutorConfig, executorSettings } from './config/executor.config.js';
import { executorPersistence, ExecutorModule } from './index.js';

await runService('executor', ExecutorConfig, (env) => ({
  feature: ExecutorModule.register(executorSettings(env)),
  persistence: executorPersistence,
}));
