import { hash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { DomainError } from '@convergio/contracts';
import { ApiKey } from './api-key.entity.js';
import { KeyRevocations } from './key-revocations.js';
import type { Principal, Role } from './roles.js';

const KEY_PREFIX = 'cvg_';

/** Hash under which a key is stored; keys are 256 random bits, so a fast hash is enough. */
function hashKey(key: string): string {
  return hash('sha256', key);
}

/**
 * How long a verified key is trusted without reading the table again, as long as no revocation
 * of it is heard ({@link KeyRevocations}): a backstop, not how revocations arrive.
 */
const VERIFIED_KEY_TTL_MS = 5000;
const MAX_CACHED_KEYS = 10_000;

/** What an admin asks for when creating a key. */
export interface NewApiKey {
  name: string;
  roles: Role[];
  publisher?: string | null;
}

/** A key as listed to admins. */
export interface ApiKeyView {
  id: string;
  name: string;
  roles: Role[];
  publisher: string | null;
  created_at: string;
  revoked_at: string | null;
}

function checkPublisher(roles: Role[], publisher: string | null): void {
  const isPublisher = roles.includes('publisher');
  if (isPublisher === (publisher !== null)) return;
  throw new DomainError('validation_failed', 'invalid API key request', [
    isPublisher
      ? {
          code: 'publisher_required',
          message: 'a key with the publisher role needs "publisher", the name it submits under',
          path: '/publisher',
        }
      : {
          code: 'publisher_without_role',
          message: '"publisher" is only for keys with the publisher role',
          path: '/publisher',
        },
  ]);
}

/** Issues, checks and revokes API keys. */
@Injectable()
export class ApiKeyService {
  private readonly verified = new Map<string, { principal: Principal; until: number }>();
  /** Moves on whenever a revocation is heard, or may have been missed. */
  private generation = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: KeyRevocations,
  ) {
    revocations.onRevoked((keyId) => {
      this.generation++;
      if (keyId === null) this.verified.clear();
      else this.forget(keyId);
    });
  }

  /** Issues a key; a publisher key must name its publisher, and only a publisher key may. */
  async create(
    { name, roles, publisher = null }: NewApiKey,
    key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`,
  ) {
    checkPublisher(roles, publisher);
    const id = randomUUID();
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(ApiKey)
      .values({ id, name, keyHash: hashKey(key), roles, publisher })
      .orIgnore()
      .execute();
    return { id, name, roles, publisher, key };
  }

  /** Every key, revoked ones included; never the key or its hash. */
  async list(): Promise<{ keys: ApiKeyView[] }> {
    const rows = await this.dataSource
      .getRepository(ApiKey)
      .find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return { keys: rows.map(viewOf) };
  }

  /**
   * The principal of a key; unauthorized if it is unknown or revoked. A verified key is trusted
   * for a few seconds without reading the table, only while revocations reach this replica.
   */
  async authenticate(key: string): Promise<Principal> {
    const hash = hashKey(key);
    const cached = this.verified.get(hash);
    if (cached && cached.until > Date.now()) return cached.principal;
    const generation = this.generation;
    const row = await this.dataSource.getRepository(ApiKey).findOneBy({ keyHash: hash });
    if (!row || row.revokedAt)
      throw new DomainError('unauthorized', 'the API key is unknown or revoked');
    const principal = {
      keyId: row.id,
      name: row.name,
      roles: row.roles,
      publisher: row.publisher,
    };
    // A revocation heard (or missed) while the row was read may be of this very key.
    if (this.revocations.isLive() && generation === this.generation) {
      if (this.verified.size >= MAX_CACHED_KEYS) this.verified.clear();
      this.verified.set(hash, { principal, until: Date.now() + VERIFIED_KEY_TTL_MS });
    }
    return principal;
  }

  /**
   * Revokes a key and answers it as it now is; 404 for an unknown key, 409 if already revoked.
   * Every replica hears of it when it commits.
   */
  async revoke(id: string): Promise<ApiKeyView> {
    const revoked = await this.dataSource.transaction(async (manager) => {
      const result = await manager
        .getRepository(ApiKey)
        .update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
      if (result.affected) await this.revocations.announce(manager, id);
      return Boolean(result.affected);
    });
    this.generation++;
    this.forget(id);
    const row = await this.dataSource.getRepository(ApiKey).findOneBy({ id });
    if (!row) throw new DomainError('not_found', `API key ${id} is unknown`);
    if (!revoked)
      throw new DomainError(
        'invalid_state',
        `API key ${id} was already revoked at ${row.revokedAt?.toISOString()}`,
      );
    return viewOf(row);
  }

  private forget(keyId: string): void {
    for (const [hash, entry] of this.verified)
      if (entry.principal.keyId === keyId) this.verified.delete(hash);
  }

  async hasKey(key: string): Promise<boolean> {
    return this.dataSource.getRepository(ApiKey).existsBy({ keyHash: hashKey(key) });
  }

  async hasActiveAdmin(): Promise<boolean> {
    const n: { n: string }[] = await this.dataSource.query(
      `SELECT count(*) AS n FROM gateway.api_keys WHERE 'admin' = ANY(roles) AND revoked_at IS NULL`,
    );
    return Number(n[0]?.n ?? 0) > 0;
  }
}

function viewOf(r: ApiKey): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    roles: r.roles,
    publisher: r.publisher,
    created_at: r.createdAt.toISOString(),
    revoked_at: r.revokedAt?.toISOString() ?? null,
  };
}
