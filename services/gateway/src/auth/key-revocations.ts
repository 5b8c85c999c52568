import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';

/** The PostgreSQL channel on which a revoked API key's id is announced to every gateway replica. */
const KEY_REVOKED_CHANNEL = 'gateway_api_key_revoked';

/**
 * Heard for each revoked key id, and with `null` when revocations may have been missed (the
 * feed went down or came up): every key verified before then must be checked again.
 */
export type RevocationListener = (keyId: string | null) => void;

/**
 * How a gateway replica learns that a key was revoked, so that it may trust a key it verified
 * without reading the table on every request ([ADR 0008](../../../../docs/adr/0008-api-key-cache.md)).
 */
export abstract class KeyRevocations {
  private readonly listeners: RevocationListener[] = [];

  /** Whether revocations made anywhere reach this replica now; a key may be cached only then. */
  abstract isLive(): boolean;

  /** Announces the revocation of `keyId`, inside the transaction that records it. */
  abstract announce(manager: EntityManager, keyId: string): Promise<void>;

  /** Calls `listener` for each revocation heard, and with `null` when some may have been missed. */
  onRevoked(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  protected heard(keyId: string | null): void {
    for (const listener of this.listeners) listener(keyId);
  }
}

/** One gateway in the process (standalone mode): a revocation is made here, so nothing to hear. */
@Injectable()
export class LocalKeyRevocations extends KeyRevocations {
  isLive(): boolean {
    return true;
  }

  announce(): Promise<void> {
    return Promise.resolve();
  }
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Replicas sharing a database: each listens on {@link KEY_REVOKED_CHANNEL} on a connection of its
 * own, and a revocation is a NOTIFY in the transaction that writes it (delivered when it
 * commits). While the connection is down the feed is not live, and it reconnects with backoff.
 */
@Injectable()
export class ListeningKeyRevocations
  extends KeyRevocations
  implements OnModuleInit, OnApplicationShutdown
{
  private readonly log = new Logger('KeyRevocations');
  private client?: pg.Client;
  private live = false;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private retry?: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  /** Starts listening; a replica that cannot yet is served, only without its key cache. */
  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.live = false;
    await client?.end().catch(() => undefined);
  }

  isLive(): boolean {
    return this.live;
  }

  async announce(manager: EntityManager, keyId: string): Promise<void> {
    await manager.query('SELECT pg_notify($1, $2)', [KEY_REVOKED_CHANNEL, keyId]);
  }

  private async connect(): Promise<void> {
    const { url } = this.dataSource.options as { url?: string };
    const client = new pg.Client({ connectionString: url });
    let lost = false;
    const onLost = (why: unknown) => {
      if (lost) return;
      lost = true;
      this.lost(client, why);
    };
    client.on('error', onLost);
    client.on('end', () => onLost('connection ended'));
    client.on('notification', (n) => {
      if (n.channel === KEY_REVOKED_CHANNEL && this.client === client)
        this.heard(n.payload ?? null);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${KEY_REVOKED_CHANNEL}`);
    } catch (error) {
      onLost(error);
      return;
    }
    if (lost || this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.live = true;
    this.retryMs = RETRY_MIN_MS;
    // A key verified while nobody listened may have been revoked meanwhile.
    this.heard(null);
  }

  private lost(client: pg.Client, why: unknown): void {
    void client.end().catch(() => undefined);
    if (this.client !== undefined && this.client !== client) return; // an older connection
    this.client = undefined;
    if (this.live) this.log.warn(`not hearing key revocations (${String(why)}); reconnecting`);
    this.live = false;
    this.heard(null);
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }
}
