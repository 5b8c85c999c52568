import { ConsoleLogger, type LoggerService, type LogLevel as NestLevel } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';
import { LOG_LEVELS, type LogLevel, type LogSettings } from './log-settings.js';

/** One request as the access log records it; never the key itself. */
export interface AccessRecord {
  method: string;
  route: string;
  status: number;
  duration_ms: number;
  key_id: string | null;
}

// Nest announces every module and route at start (about 70 lines); they are debug detail.
const START_UP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
]);
const NEST_LEVELS: Record<LogLevel, NestLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['warn'],
  info: ['log'],
  debug: ['debug', 'verbose'],
};
// Text output goes to terminals: control characters other than newline and tab are escaped so
// no logged value can move the cursor or forge colours.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * The logger of a service process, installed as Nest's logger: JSON lines through pino, or
 * Nest's console format (coloured only on a terminal). Nest's start-up announcements are logged
 * at debug level. `stream` is where lines go (stdout by default).
 */
export class ServiceLogger implements LoggerService {
  private readonly json: Pino | null;
  private readonly text: ConsoleLogger | null;
  private readonly level: number;

  constructor(
    service: string,
    settings: LogSettings,
    stream: NodeJS.WritableStream = process.stdout,
  ) {
    this.level = LOG_LEVELS.indexOf(settings.LOG_LEVEL);
    const json =
      settings.LOG_FORMAT === 'json' ||
      (settings.LOG_FORMAT === 'auto' && !(stream as { isTTY?: boolean }).isTTY);
    this.json = json
      ? pino(
          {
            level: settings.LOG_LEVEL,
            base: { service },
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label) => ({ level: label }) },
          },
          stream,
        )
      : null;
    this.text = json
      ? null
      : new ConsoleLogger({
          prefix: service,
          colors: Boolean((stream as { isTTY?: boolean }).isTTY),
          logLevels: LOG_LEVELS.slice(0, this.level + 1).flatMap((l) => NEST_LEVELS[l]),
        });
  }

  log(message: unknown, ...params: unknown[]): void {
    const context = contextOf(params);
    this.write(context && START_UP_CONTEXTS.has(context) ? 'debug' : 'info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  /** One access-log line; health and metrics probes at debug level. */
  access(record: AccessRecord, probe: boolean): void {
    const level = probe ? 'debug' : 'info';
    if (!this.enabled(level)) return;
    if (this.json) this.json[level]({ context: 'Access', ...record }, 'request');
    else
      this.text![level === 'info' ? 'log' : 'debug'](
        `${record.method} ${record.route} ${record.status} ${record.duration_ms} ms key=${record.key_id ?? '-'}`,
        'Access',
      );
  }

  private enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.level;
  }

  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    if (!this.enabled(level)) return;
    const context = contextOf(params);
    const stack =
      level === 'error' && typeof params[0] === 'string' && params.length > 1
        ? params[0]
        : undefined;
    if (this.json) {
      const fields: Record<string, unknown> = context ? { context } : {};
      if (stack) fields.stack = stack;
      if (message instanceof Error) this.json[level]({ ...fields, err: message }, message.message);
      else if (typeof message === 'string') this.json[level](fields, message);
      else this.json[level]({ ...fields, data: message }, '');
      return;
    }
    const text = typeof message === 'string' ? message.replace(CONTROLS, escape) : message;
    const nest = level === 'info' ? 'log' : level;
    if (nest === 'error')
      this.text!.error(text, ...(stack ? [stack] : []), ...(context ? [context] : []));
    else this.text![nest](text, ...(context ? [context] : []));
  }
}

// Nest passes the context last; a stack trace (with newlines) alone is not one.
const contextOf = (params: unknown[]): string | undefined => {
  const last = params.at(-1);
  return typeof last === 'string' && !last.includes('\n') ? last : undefined;
};

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
