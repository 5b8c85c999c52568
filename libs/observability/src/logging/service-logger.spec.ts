import { PassThrough } from 'node:stream';
import { jest } from '@jest/globals';
import { ServiceLogger } from './service-logger.js';
import type { LogSettings } from './log-settings.js';

function capture(settings: Partial<LogSettings>, isTTY = false) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const logger = new ServiceLogger(
    'registry',
    { LOG_LEVEL: 'info', LOG_FORMAT: 'auto', ...settings },
    stream,
  );
  return { logger, output: () => text };
}

const records = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('ServiceLogger', () => {
  it('writes one JSON object per line when the output is not a terminal', () => {
    const { logger, output } = capture({});
    logger.log('plugin loaded', 'PluginHost');
    logger.error('insert failed', 'Error: boom\n    at x', 'AuditWriter');
    expect(records(output())).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'registry',
        context: 'PluginHost',
        msg: 'plugin loaded',
        time: expect.any(String),
      }),
      expect.objectContaining({
        level: 'error',
        context: 'AuditWriter',
        msg: 'insert failed',
        stack: 'Error: boom\n    at x',
      }),
    ]);
  });

  it("keeps Nest's start-up announcements out of the info level", () => {
    const { logger, output } = capture({});
    logger.log('Mapped {/v1/plugins, GET} route', 'RouterExplorer');
    logger.log('MessagingModule dependencies initialized', 'InstanceLoader');
    expect(output()).toBe('');
    const verbose = capture({ LOG_LEVEL: 'debug' });
    verbose.logger.log('Mapped {/v1/plugins, GET} route', 'RouterExplorer');
    expect(records(verbose.output())).toEqual([expect.objectContaining({ level: 'debug' })]);
  });

  it('drops what is below the configured level', () => {
    const { logger, output } = capture({ LOG_LEVEL: 'warn' });
    logger.log('routine');
    logger.debug('detail');
    logger.warn('careful');
    expect(records(output()).map((r) => r.msg)).toEqual(['careful']);
  });

  it('writes access records with the key id, probes at debug only', () => {
    const { logger, output } = capture({});
    const record = {
      method: 'POST',
      route: '/v1/plugins/:id/invoke',
      status: 200,
      duration_ms: 1.25,
      key_id: 'k1',
    };
    logger.access(record, false);
    logger.access({ ...record, route: '/healthz' }, true);
    expect(records(output())).toEqual([expect.objectContaining({ context: 'Access', ...record })]);
  });

  it('writes text without colour codes when the output is not a terminal, control characters escaped', () => {
    const { logger } = capture({ LOG_FORMAT: 'text' });
    // Nest's console format writes warnings to stdout itself.
    let written = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written += String(chunk);
      return true;
    });
    try {
      logger.warn('plugin said \u001b[31mred\u001b[0m\rforged', 'PluginHost');
    } finally {
      spy.mockRestore();
    }
    expect(written).toContain('plugin said \\u001b[31mred\\u001b[0m\\u000dforged');
    expect(written).not.toContain('\u001b');
  });
});
