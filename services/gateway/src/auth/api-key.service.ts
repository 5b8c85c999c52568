import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import {
  characterRefusal,
  decodePageCursor,
  DomainError,
  encodePageCursor,
  isCursorMicros,
  EventSubjects,
} from '@convergio/contracts';
import { TransactionalOutbox } from '@convergio/messaging';
import { ApiKey } from './api-key.entity.js';
import { hashKey, isGeneratedShape, newApiKeySecret } from './api-key-secret.js';
import { KeyRevocations } from './key-revocations.js';
import { RetiredKeyHash } from './retired-key-hash.entity.js';
import type { Principal, Role } from './roles.js';
import { issuanceKin } from './issuance-kin.js';
import { GATEWAY_SERVICE } from '../gateway.schema.js';
import { canonicalUuid } from '../http/uuid.js';

/**
 * How long a verified key is trusted without reading the table again, as long as no revocation
 * of it is heard ({@link KeyRevocations}): a backstop, not how revocations arrive.
 */
const VERIFIED_KEY_TTL_MS = 5000;
const API_KEYS = 'api-keys';
const MAX_CACHED_KEYS = 10_000;
/** The name of the admin key the gateway makes at start, the only key whose secret may be the operator's. */
export const BOOTSTRAP_ADMIN_NAME = 'bootstrap-admin';

/** The key of a secret, current or in a rotation's grace period: one query for both. */
const KEY_OF_SECRET = `
  SELECT k.id, k.name, k.roles, k.publisher, k.revoked_at, k.issued_by, NULL::timestamptz AS valid_until
    FROM gateway.api_keys k WHERE k.key_hash = $1
  UNION ALL
  SELECT k.id, k.name, k.roles, k.publisher, k.revoked_at, r.issued_by, r.valid_until
    FROM gateway.retired_key_hashes r JOIN gateway.api_keys k ON k.id = r.key_id
   WHERE r.key_hash = $1 AND r.valid_until > $2
  ORDER BY valid_until NULLS FIRST
  LIMIT 1`;

/** The secrets of bootstrap admin keys, current and retired: the only ones that may be of another shape. */
const BOOTSTRAP_SECRETS = `
  SELECT key_hash FROM gateway.api_keys WHERE name = $1
  UNION
  SELECT r.key_hash FROM gateway.retired_key_hashes r JOIN gateway.api_keys k ON k.id = r.key_id
   WHERE k.name = $1`;

interface KeyOfSecretRow {
  id: string;
  name: string;
  roles: Role[];
  publisher: string | null;
  revoked_at: Date | null;
  issued_by: string | null;
  valid_until: Date | null;
}

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
  /** Who issued the current secret (see {@link ApiKey.issuedBy}). */
  issued_by: string | null;
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

/**
 * Admins read key names in terminals and logs: a control character would act on them, and an
 * invisible one would make two keys' names look the same.
 */
function checkName(name: string): void {
  const refusal = characterRefusal(name);
  if (refusal)
    throw new DomainError('validation_failed', 'invalid API key request', [
      { code: 'invalid_characters', message: refusal, path: '/name' },
    ]);
}

/** Issues, checks and revokes API keys. */
@Injectable()
export class ApiKeyService {
  private readonly verified = new Map<string, { principal: Principal; until: number }>();
  /** Moves on whenever a key is forgotten (revoked or rotated), or revocations may have been missed. */
  private generation = 0;
  /**
   * Hashes of the secrets that may be of a shape the gateway does not generate: an operator's
   * CONVERGIO_ADMIN_KEY (see {@link loadBootstrapSecrets}).
   */
  private readonly otherShaped = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: KeyRevocations,
    private readonly outbox: TransactionalOutbox,
  ) {
    revocations.onRevoked((keyId) => {
      if (keyId === null) {
        this.generation++;
        this.verified.clear();
      } else this.forget(keyId);
    });
  }

  /**
   * Issues a key; a publisher key must name its publisher, and only a publisher key may; a name
   * holding a control character is `validation_failed` (`invalid_characters` at `/name`).
   * `actor` (the admin key id, or `gateway` for the bootstrap admin key) is recorded in the
   * api_key.created event, which never carries the key. A `key` whose hash exists is not issued
   * again (two gateways starting with one CONVERGIO_ADMIN_KEY), and no event is published.
   */
  async create(
    { name, roles, publisher = null }: NewApiKey,
    actor: string,
    key = newApiKeySecret(),
  ) {
    checkName(name);
    checkPublisher(roles, publisher);
    if (!isGeneratedShape(key)) this.otherShaped.add(hashKey(key));
    const id = randomUUID();
    await this.dataSource.transaction(async (manager) => {
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(ApiKey)
        .values({ id, name, keyHash: hashKey(key), roles, publisher, issuedBy: actor })
        .orIgnore()
        .returning('id')
        .execute();
      if ((inserted.raw as unknown[]).length > 0)
        await this.outbox.add(manager, EventSubjects.ApiKeyCreated, {
          key_id: id,
          name,
          roles,
          publisher,
          actor,
        });
    });
    return { id, name, roles, publisher, key };
  }

  /**
   * A page of keys, revoked ones included, oldest first (then by id), after `cursor` (the first
   * without): at most `limit`; never the key or its hash.
   * @throws DomainError `validation_failed` for a cursor this list did not hand out
   */
  async list(q: {
    cursor?: string;
    limit: number;
  }): Promise<{ keys: ApiKeyView[]; next_cursor: string | null }> {
    const after =
      q.cursor === undefined
        ? undefined
        : decodePageCursor(
            API_KEYS,
            q.cursor,
            2,
            ([at, id]) => isCursorMicros(at) && canonicalUuid(id) === id,
          );
    // Creation times are the database's, in microseconds: the cursor keeps them exact.
    const qb = this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .addSelect('(extract(epoch FROM k.created_at) * 1000000)::bigint::text', 'at_us')
      .orderBy('k.created_at', 'ASC')
      .addOrderBy('k.id', 'ASC')
      .limit(q.limit + 1);
    if (after)
      qb.where(
        `(k.created_at, k.id) > (to_timestamp(0) + (:at || ' microseconds')::interval, :id)`,
        { at: after[0], id: after[1] },
      );
    const { entities, raw } = await qb.getRawAndEntities<{ at_us: string }>();
    const page = entities.slice(0, q.limit);
    const last = page.length - 1;
    return {
      keys: page.map(viewOf),
      next_cursor:
        entities.length > page.length
          ? encodePageCursor(API_KEYS, [raw[last].at_us, page[last].id])
          : null,
    };
  }

  /**
   * The principal of a key; unauthorized if it is unknown or revoked. A key that cannot be one
   * (not of the generated shape, and not an operator's bootstrap admin key) is refused without
   * asking the database; any other costs one query unless it was verified in the last few
   * seconds, which is trusted without reading the table, only while revocations reach this
   * replica.
   */
  async authenticate(key: string): Promise<Principal> {
    const hash = hashKey(key);
    if (!isGeneratedShape(key) && !this.otherShaped.has(hash))
      throw new DomainError(
        'unauthorized',
        'the API key is not of the shape the platform issues ("cvg_" and 43 base64url characters)',
      );
    const cached = this.verified.get(hash);
    if (cached && cached.until > Date.now()) return cached.principal;
    const generation = this.generation;
    const rows: KeyOfSecretRow[] = await this.dataSource.query(KEY_OF_SECRET, [hash, new Date()]);
    const row = rows[0];
    if (!row || row.revoked_at)
      throw new DomainError('unauthorized', 'the API key is unknown, revoked or rotated out');
    const principal: Principal = {
      keyId: row.id,
      name: row.name,
      roles: row.roles,
      publisher: row.publisher,
      issuedBy: row.issued_by,
      secretValidUntil: row.valid_until,
    };
    // A revocation heard (or missed) while the row was read may be of this very key.
    if (this.revocations.isLive() && generation === this.generation) {
      if (this.verified.size >= MAX_CACHED_KEYS) this.verified.clear();
      const until = Date.now() + VERIFIED_KEY_TTL_MS;
      // A secret replaced by a rotation is trusted no longer than its grace period.
      this.verified.set(hash, {
        principal,
        until: row.valid_until ? Math.min(until, row.valid_until.getTime()) : until,
      });
    }
    return principal;
  }

  /**
   * Reads which secrets of another shape than the generated one may authenticate: those of
   * bootstrap admin keys (current, revoked or rotated out; CONVERGIO_ADMIN_KEY may be any string
   * of 24 characters or more), besides a key this replica creates with such a secret. Run at
   * start, once the bootstrap admin key exists.
   */
  async loadBootstrapSecrets(): Promise<void> {
    const rows: { key_hash: string }[] = await this.dataSource.query(BOOTSTRAP_SECRETS, [
      BOOTSTRAP_ADMIN_NAME,
    ]);
    for (const { key_hash } of rows) this.otherShaped.add(key_hash);
  }

  /**
   * Revokes a key (and any secret of it still in a rotation's grace period) and answers it as it
   * now is; 404 for an unknown key, 409 if already revoked. Every replica hears of it when it
   * commits; api_key.revoked names `actor`, the admin key id.
   */
  async revoke(id: string, actor: string): Promise<ApiKeyView> {
    const revoked = await this.dataSource.transaction(async (manager) => {
      const result = await manager
        .getRepository(ApiKey)
        .update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
      if (!result.affected) return undefined;
      // The stored id, whatever the spelling `id` came in: it is what caches and approvals hold.
      const row = await manager.getRepository(ApiKey).findOneByOrFail({ id });
      await this.revocations.announce(manager, row.id);
      await this.outbox.add(manager, EventSubjects.ApiKeyRevoked, {
        key_id: row.id,
        name: row.name,
        actor,
      });
      return row.id;
    });
    if (revoked) this.forget(revoked);
    const row = await this.dataSource.getRepository(ApiKey).findOneBy({ id });
    if (!row) throw new DomainError('not_found', `API key ${id} is unknown`);
    if (!revoked)
      throw new DomainError(
        'invalid_state',
        `API key ${id} was already revoked at ${row.revokedAt?.toISOString()}`,
      );
    return viewOf(row);
  }

  /**
   * Drops every cached verification of `keyId` on this replica, and keeps a verification that
   * read the key's row before now from being cached (a rotation or revocation that just
   * committed).
   */
  forget(keyId: string): void {
    this.generation++;
    for (const [hash, entry] of this.verified)
      if (entry.principal.keyId === keyId) this.verified.delete(hash);
  }

  /** Whether `key` is, or ever was, the secret of a key (revoked and rotated ones included). */
  async hasKey(key: string): Promise<boolean> {
    const keyHash = hashKey(key);
    return (
      (await this.dataSource.getRepository(ApiKey).existsBy({ keyHash })) ||
      (await this.dataSource.getRepository(RetiredKeyHash).existsBy({ keyHash }))
    );
  }

  /**
   * Marks the key whose current secret is `key` as issued by the platform when its issuer is
   * unknown: a bootstrap key made before issuers were kept, which would otherwise head a lineage
   * holding every key it issued since (ADR 0015). The operator shows it is theirs by configuring it.
   */
  async adoptBootstrapKey(key: string): Promise<void> {
    await this.dataSource
      .getRepository(ApiKey)
      .update({ keyHash: hashKey(key), issuedBy: IsNull() }, { issuedBy: GATEWAY_SERVICE });
  }

  /** The keys separation of duties counts as the same admin as `keyId` (see `issuanceKin`). */
  issuanceKin(keyId: string): Promise<string[]> {
    return issuanceKin(this.dataSource, keyId);
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
    issued_by: r.issuedBy,
    created_at: r.createdAt.toISOString(),
    revoked_at: r.revokedAt?.toISOString() ?? null,
  };
}
