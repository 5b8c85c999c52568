/** Receives Extism diagnostics and plugin log lines at warn level and above. */
export interface SandboxLogger {
  warn(message: string): void;
  error(message: string): void;
}

/**
 * One plugin worker's Extism logger, for the SDK's own diagnostics. Plugins cannot write here:
 * their log_* kernel imports go through the `log` host function. Control characters are escaped
 * all the same, since the worker's stderr reaches the operator line by line.
 */
export class PluginLogSink {
  constructor(
    private readonly logger: SandboxLogger,
    private readonly prefix: string,
  ) {}

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
    this.logger[level](`${this.prefix}: ${escapeControls(message)}`);
  }
}

const escapeControls = (text: string) =>
  text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
