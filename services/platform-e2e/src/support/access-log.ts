import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platform } from './platform.js';

/** The shared platform's gateway access-log records, oldest first. */
export const gatewayAccessRecords = (): Record<string, unknown>[] =>
  readFileSync(join(platform().logsDir, 'gateway.log'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((r) => r.context === 'Access');
