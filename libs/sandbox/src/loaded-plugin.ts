import type { Plugin } from '@extism/extism';
import { errorMessage } from './error-message.js';
import type { PluginLogSink } from './plugin-log-sink.js';
import { SandboxError } from './sandbox-error.js';
import type { CallResult } from './sandbox-options.js';
import { SerialQueue } from './serial-queue.js';
import { toSandboxError } from './to-sandbox-error.js';
import { withDeadline } from './with-deadline.js';

/** One running plugin instance; calls on it run one at a time. */
export class LoadedPlugin {
  private readonly queue = new SerialQueue();
  private closed = false;

  /**
   * @param stallAfterMs when a call has not settled by then, Extism has lost track of its worker
   *   (a known failure mode after a failed restart): the call fails and the plugin is closed.
   */
  constructor(
    private readonly plugin: Plugin,
    private readonly functions: ReadonlySet<string>,
    private readonly log: PluginLogSink,
    private readonly stallAfterMs: number,
  ) {}

  /** Calls the exported function `name` with `input`; rejects with a {@link SandboxError}. */
  call(name: string, input: Uint8Array): Promise<CallResult> {
    if (!this.functions.has(name)) {
      return Promise.reject(
        new SandboxError('function_not_found', `the plugin exports no function "${name}"`),
      );
    }
    return this.queue.run(() => this.callNow(name, input));
  }

  /** Stops the plugin after the calls already queued; later calls fail with `plugin_closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.run(() => this.plugin.close());
  }

  private async callNow(name: string, input: Uint8Array): Promise<CallResult> {
    if (this.closed) throw new SandboxError('plugin_closed', 'the plugin is closed');
    this.log.clear();
    const started = performance.now();
    try {
      const output = await withDeadline(
        this.plugin.call(name, input),
        this.stallAfterMs,
        () => new SandboxError('timeout', 'the plugin stopped responding and was closed'),
      );
      return {
        output: output ? output.bytes() : new Uint8Array(0),
        durationMs: performance.now() - started,
      };
    } catch (error) {
      const mapped = toSandboxError(error, this.log.memoryLimitHit);
      // Only the deadline throws a SandboxError here. An unexpected rejection (e.g. a host function
      // that threw) leaves Extism's worker dead or wedged, so the instance must not be reused.
      if (error instanceof SandboxError || mapped.code === 'runtime_failure')
        await this.retire(mapped.message);
      throw mapped;
    } finally {
      if (!this.closed) await this.resetOrRetire();
    }
  }

  // Without a reset, host blocks from every call pile up and the page limit becomes cumulative.
  private async resetOrRetire(): Promise<void> {
    try {
      await this.plugin.reset();
    } catch (error) {
      await this.retire(`reset failed: ${errorMessage(error)}`);
    }
  }

  private async retire(reason: string): Promise<void> {
    this.closed = true;
    this.log.asConsole().error(`closing the plugin: ${reason}`);
    await this.plugin.close().catch(() => undefined);
  }
}
