import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { DomainError } from '@convergio/contracts';
import { ApiKey } from './api-key.entity.js';
import type { Principal, Role } from './roles.js';

const KEY_PREFIX = 'cvg_';

/** Hash under which a key is stored; keys are 256 random bits, so a fast hash is enough. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * How long a verified key is trusted without asking the database again. A key revoked
 * through another gateway replica keeps working here for at most this long.
 */
const VERIFIED_KEY_TTL_MS = 5000;
const MAX_CACHED_KEYS = 10_000;

/** Issues, checks and revokes API keys. */
@Injectable()
export class ApiKeyService {
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(private readonly dataSource: DataSource) {}

  async create(
    name: string,
    roles: Role[],
    key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`,
  ) {
    const id = randomUUID();
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(ApiKey)
      .values({ id, name, keyHash: hashKey(key), roles })
      .orIgnore()
      .execute();
    return { id, name, roles, key };
  }

  async authenticate(key: string): Promise<Principal> {
    const hash = hashKey(key);
    const cached = this.verified.get(hash);
    if (cached && cached.until > Date.now()) return cached.principal;
    const row = await this.dataSource.getRepository(ApiKey).findOneBy({ keyHash: hash });
    if (!row || row.revokedAt)
      throw new DomainError('unauthorized', 'the API key is unknown or revoked');
    const principal = { keyId: row.id, name: row.name, roles: row.roles };
    if (this.verified.size >= MAX_CACHED_KEYS) this.verified.clear();
    this.verified.set(hash, { principal, until: Date.now() + VERIFIED_KEY_TTL_MS });
    return principal;
  }

  async revoke(id: string): Promise<void> {
    const result = await this.dataSource
      .getRepository(ApiKey)
      .update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (!result.affected) throw new DomainError('not_found', `API key ${id} is unknown`);
    for (const [hash, entry] of this.verified)
      if (entry.principal.keyId === id) this.verified.delete(hash);
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
