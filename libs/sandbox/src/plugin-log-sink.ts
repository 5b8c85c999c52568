/** Receives Extism diagnostics and plugin log lines at warn level and above. */
export interface SandboxLogger {
  warn(message: string): void;
  error(message: string): void;
}

const MEMORY_LIMIT_MESSAGE = 'memory limit exceeded';

/**
 * One plugin's Extism logger. Extism reports a refused host-side allocation only as a log line
 * and then fails later with an unrelated error, so the sink remembers that the limit was hit.
 */
export class PluginLogSink {
  private limitHit = false;

  constructor(
    private readonly logger: SandboxLogger,
    private readonly prefix: string,
  ) {}

  /** Whether a memory limit was reported since the last {@link PluginLogSink.clear}. */
  get memoryLimitHit(): boolean {
    return this.limitHit;
  }

  clear(): void {
    this.limitHit = false;
  }

  /** The object to pass as Extism's `logger`; levels below warn are dropped. */
  asConsole(): Console {
    const ignore = (): void => undefined;
    const sink: Pick<Console, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
      trace: ignore,
      debug: ignore,
      info: ignore,
      warn: (message: unknown) => this.receive('warn', String(message)),
      error: (message: unknown) => this.receive('error', String(message)),
    };
    return sink as Console;
  }

  private receive(level: 'warn' | 'error', message: string): void {
    if (message.includes(MEMORY_LIMIT_MESSAGE)) this.limitHit = true;
    this.logger[level](`${this.prefix}: ${message}`);
  }
}
