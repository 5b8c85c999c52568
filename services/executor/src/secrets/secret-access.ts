import { Injectable, Logger } from '@nestjs/common';
import {
  DomainError,
  pluginVersionKey,
  RequestSubjects,
  type PluginVersionKey,
  type ReplyMap,
} from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { ReleasedSecretScrubber } from '@convergio/policy';
import type { PluginIdentity } from '@convergio/sandbox';

/** A token is not used in its last seconds: a read must reach the broker before it expires. */
const TOKEN_MARGIN_S = 5;
/** Released values remembered per plugin for scrubbing; past that the oldest is forgotten. */
const MAX_RELEASED_PER_PLUGIN = 1024;
const NOTHING_RELEASED = new ReleasedSecretScrubber([]);

/** What `secret_get` hands back to the plugin. */
export type SecretGetResult = ReplyMap['secrets.read'];

/**
 * The executor's side of secret reads (ADR 0014): a broker-signed token per version, cached until
 * shortly before it expires, sent with each read; and the values released to each plugin, which
 * are scrubbed from everything the executor passes on of the calls of every version of it (output,
 * errors, log lines, telemetry, denials): the versions of a plugin share its files, so a value
 * one version wrote there is scrubbed when another reads it back. Tokens never enter a sandbox
 * process.
 */
@Injectable()
export class SecretAccess {
  private readonly log = new Logger(SecretAccess.name);
  private readonly tokens = new Map<PluginVersionKey, { token: string; untilMs: number }>();
  /** By plugin id. */
  private readonly released = new Map<string, Set<string>>();
  /** Per plugin id, its released values indexed for scrubbing; built again after a new release. */
  private readonly scrubbers = new Map<string, ReleasedSecretScrubber>();

  constructor(private readonly bus: BusClient) {}

  /**
   * Reads `id` for `plugin` (running module `moduleSha256`). A token the broker will not issue
   * is `permission_denied`, recorded through `denied`; a broker that does not answer, `io_error`.
   */
  async read(
    plugin: PluginIdentity,
    moduleSha256: string,
    id: string,
    denied: (reason: string) => void,
  ): Promise<SecretGetResult> {
    const key = pluginVersionKey(plugin.id, plugin.version);
    let token: string;
    try {
      token = await this.token(key, plugin, moduleSha256);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'unavailable' || error.code === 'internal') {
        this.log.error(`no secret token for ${key}: ${error.message}`);
        return {
          error: { code: 'io_error', message: 'the secret broker is unavailable; retry later' },
        };
      }
      denied(error.message);
      return { error: { code: 'permission_denied', message: error.message } };
    }
    const reply = await this.bus.request(RequestSubjects.SecretsRead, {
      token,
      plugin_id: plugin.id,
      version: plugin.version,
      secret_id: id,
    });
    if ('value' in reply) this.remember(plugin.id, reply.value);
    return reply;
  }

  /** Whether any value was released to a version of `pluginId` (so output must be scrubbed). */
  hasReleased(pluginId: string): boolean {
    return (this.released.get(pluginId)?.size ?? 0) > 0;
  }

  /**
   * The scrubber of the values released to the versions of `pluginId` that are still remembered
   * (see ReleasedSecretScrubber): built once per set of values, so pass it, not the values, to
   * redaction done per text.
   */
  scrubber(pluginId: string): ReleasedSecretScrubber {
    const values = this.released.get(pluginId);
    if (!values) return NOTHING_RELEASED;
    let scrubber = this.scrubbers.get(pluginId);
    if (!scrubber) {
      scrubber = new ReleasedSecretScrubber(values);
      this.scrubbers.set(pluginId, scrubber);
    }
    return scrubber;
  }

  /**
   * `text` without any value released to a version of `pluginId`, however encoded or cut (see
   * ReleasedSecretScrubber.redact). Scrub a text before cutting it.
   */
  scrub(pluginId: string, text: string): string {
    return this.scrubber(pluginId).redact(text);
  }

  private async token(
    key: PluginVersionKey,
    plugin: PluginIdentity,
    moduleSha256: string,
  ): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && cached.untilMs > Date.now()) return cached.token;
    const issued = await this.bus.request(RequestSubjects.SecretsTokenIssue, {
      plugin_id: plugin.id,
      version: plugin.version,
      module_sha256: moduleSha256,
    });
    const lifeS = Math.max(0, issued.expires_in_s - TOKEN_MARGIN_S);
    this.tokens.set(key, { token: issued.token, untilMs: Date.now() + lifeS * 1000 });
    return issued.token;
  }

  private remember(pluginId: string, value: string): void {
    if (value.length === 0) return;
    const values = this.released.get(pluginId) ?? new Set<string>();
    // Known already: moved to the newest end, the same values to scrub.
    if (!values.delete(value)) this.scrubbers.delete(pluginId);
    values.add(value);
    if (values.size > MAX_RELEASED_PER_PLUGIN) values.delete(values.values().next().value!);
    this.released.set(pluginId, values);
  }

  /** Forgets a version's token (unloaded or revoked here); its released values stay scrubbed. */
  forget(pluginId: string, version: string): void {
    this.tokens.delete(pluginVersionKey(pluginId, version));
  }
}
