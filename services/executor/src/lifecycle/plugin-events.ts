import { Injectable, Logger } from '@nestjs/common';
import { EventSubjects, type EventPayloadMap } from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { INSTANCE } from './instance.js';

/** Why a version stopped being loaded here (plugin.unloaded `reason`). */
export type UnloadReason = EventPayloadMap['plugin.unloaded']['reason'];

/** What plugin.crashed reports of a call or load that was stopped. */
export type Crash = Omit<EventPayloadMap['plugin.crashed'], 'plugin_id' | 'version'>;

/**
 * Every plugin.loaded, plugin.unloaded and plugin.crashed this executor publishes. Best effort
 * (a bus outage is logged, the caller goes on) unless built in an event's `context`: inside an
 * event's handler a failed publish must fail the handler, so the event is redelivered.
 */
@Injectable()
export class PluginEvents {
  private readonly log = new Logger(PluginEvents.name);

  constructor(private readonly bus: BusClient) {}

  /** A version was loaded in this process; `context`: of the message that asked for the load. */
  async loaded(
    pluginId: string,
    version: string,
    load: { moduleSha256: string; loadMs: number; cached: boolean },
    context?: MessageContext,
  ): Promise<void> {
    await this.send(
      EventSubjects.PluginLoaded,
      {
        plugin_id: pluginId,
        version,
        module_sha256: load.moduleSha256,
        instance: INSTANCE,
        load_ms: Math.round(load.loadMs * 1000) / 1000,
        cached: load.cached,
      },
      context,
    );
  }

  /** A version was unloaded from this process; `context`: while handling the event that unloaded it. */
  async unloaded(
    pluginId: string,
    version: string,
    reason: UnloadReason,
    { context }: { context?: MessageContext } = {},
  ): Promise<void> {
    const payload = { plugin_id: pluginId, version, instance: INSTANCE, reason };
    if (context) await this.bus.publish(EventSubjects.PluginUnloaded, payload, context);
    else await this.send(EventSubjects.PluginUnloaded, payload);
  }

  /** A call (asked for in `context`) or a load of a version was stopped. */
  async crashed(
    pluginId: string,
    version: string,
    crash: Crash,
    context?: MessageContext,
  ): Promise<void> {
    await this.send(
      EventSubjects.PluginCrashed,
      { plugin_id: pluginId, version, ...crash, message: crash.message.slice(0, 2000) },
      context,
    );
  }

  private async send<S extends 'plugin.loaded' | 'plugin.unloaded' | 'plugin.crashed'>(
    subject: S,
    payload: EventPayloadMap[S],
    context?: MessageContext,
  ): Promise<void> {
    await this.bus
      .publish(subject, payload, context)
      .catch((error: unknown) =>
        this.log.error(
          `${subject} for ${payload.plugin_id}@${payload.version} not sent: ${String(error)}`,
        ),
      );
  }
}
