import { Injectable, Logger } from '@nestjs/common';
import { DomainError, EventSubjects, type ReplyMap, type RequestMap } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { SandboxError } from '@convergio/sandbox';
import { ArtifactError } from '@convergio/artifacts';
import { DeploymentsService } from '../deployments/deployments.service.js';
import { PluginHost } from './plugin-host.js';
import { checkToolInput, declaredFunction } from './tool-input.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs declared functions of approved plugins and reports what went wrong. */
@Injectable()
export class InvocationService {
  private readonly log = new Logger(InvocationService.name);

  constructor(
    private readonly deployments: DeploymentsService,
    private readonly host: PluginHost,
    private readonly bus: BusClient,
  ) {}

  async invoke(req: RequestMap['executor.invoke']): Promise<ReplyMap['executor.invoke']> {
    const d = await this.deployments.runnable(req.plugin_id, req.version);
    const target = declaredFunction(d.manifest, req.function);
    checkToolInput(`${d.pluginId}@${d.version}#${target.name}`, target.inputSchema, req.input);
    const started = performance.now();
    try {
      const plugin = await this.host.get(d.pluginId, d.version, d.moduleSha256);
      const { output, durationMs } = await plugin.call(
        target.function,
        encoder.encode(JSON.stringify(req.input ?? null)),
      );
      return {
        plugin_id: d.pluginId,
        version: d.version,
        function: req.function,
        output: parseOutput(output),
        duration_ms: durationMs,
      };
    } catch (error) {
      throw await this.failure(
        d.pluginId,
        d.version,
        target.function,
        error,
        performance.now() - started,
      );
    }
  }

  /** Runs several calls of one plugin in one round trip; each result is an output or an error. */
  async invokeBatch(
    req: RequestMap['executor.invoke-batch'],
  ): Promise<ReplyMap['executor.invoke-batch']> {
    const results: unknown[] = [];
    for (const call of req.calls) {
      try {
        const r = await this.invoke({
          plugin_id: req.plugin_id,
          version: req.version,
          function: call.function,
          input: call.input,
        });
        results.push({ output: r.output, duration_ms: r.duration_ms });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        results.push({ error: error.toJSON() });
      }
    }
    return { results };
  }

  /** Maps a sandbox failure to a coded error; stops that were not the plugin's own choice are crashes. */
  private async failure(
    pluginId: string,
    version: string,
    fn: string,
    error: unknown,
    wallMs: number,
  ): Promise<DomainError> {
    if (error instanceof ArtifactError)
      return new DomainError(
        'unavailable',
        `the module of ${pluginId}@${version} cannot be read: ${error.code}`,
      );
    if (!(error instanceof SandboxError))
      return new DomainError('internal', `call failed: ${String(error)}`);
    if (error.code === 'plugin_error') return new DomainError('plugin_failed', error.message);
    if (error.code === 'function_not_found') return new DomainError('not_found', error.message);
    // Best effort: the caller must learn what happened to its call even when the bus is down.
    await this.bus
      .publish(EventSubjects.PluginCrashed, {
        plugin_id: pluginId,
        version,
        function: fn,
        reason: error.code,
        message: error.message.slice(0, 2000),
        resources: { wall_ms: Math.round(wallMs) },
      })
      .catch((publishError: unknown) =>
        this.log.error(
          `plugin.crashed for ${pluginId}@${version} not sent: ${String(publishError)}`,
        ),
      );
    return error.code === 'timeout'
      ? new DomainError('plugin_timeout', `${pluginId}@${version} ran out of time`)
      : new DomainError('plugin_failed', `${pluginId}@${version} crashed: ${error.code}`);
  }
}

/** Plugins answer JSON; anything else is handed back as text. */
function parseOutput(bytes: Uint8Array): unknown {
  const text = decoder.decode(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
