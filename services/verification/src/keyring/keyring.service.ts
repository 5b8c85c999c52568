import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, In, IsNull, LessThan, MoreThan, type EntityManager } from 'typeorm';
import {
  decodePageCursor,
  DomainError,
  encodePageCursor,
  EventSubjects,
  type EventEnvelope,
  type Finding,
  type ReplyMap,
  type RequestMap,
  type SignerItem,
} from '@convergio/contracts';
import {
  keyIdOf,
  type Keyring,
  type KeyringSigner,
  type SignatureVerdict,
} from '@convergio/manifest';
import {
  BusLimits,
  pageWithin,
  TransactionalOutbox,
  type MessageContext,
} from '@convergio/messaging';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { checkSignerPublicKey, decodeBase64url } from '@convergio/signing';
import { VerificationRecord } from '../checks/verification-record.entity.js';
import { VERIFICATION_SCHEMA, VERIFICATION_SERVICE } from '../verification.schema.js';
import { PluginSigner } from './plugin-signer.entity.js';
import { RELEASE_KEY, type ReleaseKey } from './release-key.js';
import { SignerKey } from './signer-key.entity.js';
import { Signer } from './signer.entity.js';

const ProcessedEvent = processedEventEntity(VERIFICATION_SCHEMA);
/** Who added the release key: the operator's configuration, not an admin key. */
const OPERATOR = 'operator';
const SIGNERS = 'signers';

/**
 * The keyring (docs/adr/0010): signers and their keys, rotation, revocation, and key continuity
 * per plugin id. Every change is announced as an event the audit log keeps.
 */
@Injectable()
export class KeyringService implements OnApplicationBootstrap {
  private readonly log = new Logger('Keyring');

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
    @Inject(RELEASE_KEY) private readonly releaseKey: ReleaseKey | null,
    private readonly limits: BusLimits,
  ) {}

  /** The operator's release key is in the keyring as an official signer, with that key current. */
  async onApplicationBootstrap(): Promise<void> {
    const release = this.releaseKey;
    if (!release) return;
    const current = await this.dataSource
      .getRepository(SignerKey)
      .findOneBy({ signerId: release.signerId, rotatedAt: IsNull() });
    if (current?.publicKey === release.publicKey) return;
    if (!current)
      await this.add({ ...release.asSigner, added_by: OPERATOR }).catch((error: unknown) => {
        // Another replica added it first.
        if (!(error instanceof DomainError && error.code === 'conflict')) throw error;
      });
    else
      await this.rotate({
        id: release.signerId,
        public_key: release.publicKey,
        rotated_by: OPERATOR,
      });
    this.log.log(`release key of ${release.signerId} is in the keyring`);
  }

  async add(
    req: RequestMap['verification.signers.add'],
    context?: MessageContext,
  ): Promise<SignerItem> {
    const keyId = checkedKeyId(req.public_key);
    return this.dataSource.transaction(async (manager) => {
      if (await manager.existsBy(Signer, { id: req.id }))
        throw new DomainError('conflict', `signer ${req.id} exists; rotate its key instead`);
      await this.refuseKnownKey(manager, keyId);
      await manager.insert(Signer, {
        id: req.id,
        trust: req.trust,
        addedBy: req.added_by,
        revokedAt: null,
        revokedBy: null,
      });
      await manager.insert(SignerKey, {
        keyId,
        signerId: req.id,
        publicKey: req.public_key,
        rotatedAt: null,
      });
      await this.outbox.add(
        manager,
        EventSubjects.SignerAdded,
        {
          signer_id: req.id,
          trust: req.trust,
          key_id: keyId,
          added_by: req.added_by,
          actor: req.added_by,
        },
        context,
      );
      return this.item(manager, req.id);
    });
  }

  /**
   * A page of the keyring by signer id, after `cursor` (the first without), each signer with every
   * key it has had: at most `limit`, fewer when their JSON would pass the bus's reply budget.
   * @throws DomainError `validation_failed` for a cursor this list did not hand out
   */
  async list(
    q: RequestMap['verification.signers.list'],
  ): Promise<ReplyMap['verification.signers.list']> {
    const after = q.cursor === undefined ? undefined : decodePageCursor(SIGNERS, q.cursor, 1)[0];
    const signers = await this.dataSource.getRepository(Signer).find({
      where: after === undefined ? {} : { id: MoreThan(after) },
      order: { id: 'ASC' },
      take: q.limit + 1,
    });
    const keys = signers.length
      ? await this.dataSource.getRepository(SignerKey).find({
          where: { signerId: In(signers.map((s) => s.id)) },
          order: { addedAt: 'DESC' },
        })
      : [];
    const items = signers.map((s) =>
      toItem(
        s,
        keys.filter((k) => k.signerId === s.id),
      ),
    );
    const { page, more } = pageWithin(items, q.limit, this.limits.replyBudget);
    return {
      signers: page,
      next_cursor: more ? encodePageCursor(SIGNERS, [page[page.length - 1].id]) : null,
    };
  }

  /** The new key is current at once; the old one verifies only what it signed before. */
  async rotate(
    req: RequestMap['verification.signers.rotate'],
    context?: MessageContext,
  ): Promise<SignerItem> {
    const keyId = checkedKeyId(req.public_key);
    return this.dataSource.transaction(async (manager) => {
      await this.activeSigner(manager, req.id);
      await this.refuseKnownKey(manager, keyId);
      const current = await manager.findOneByOrFail(SignerKey, {
        signerId: req.id,
        rotatedAt: IsNull(),
      });
      await manager.update(SignerKey, { keyId: current.keyId }, { rotatedAt: new Date() });
      await manager.insert(SignerKey, {
        keyId,
        signerId: req.id,
        publicKey: req.public_key,
        rotatedAt: null,
      });
      await this.outbox.add(
        manager,
        EventSubjects.SignerRotated,
        {
          signer_id: req.id,
          key_id: keyId,
          previous_key_id: current.keyId,
          rotated_by: req.rotated_by,
          actor: req.rotated_by,
        },
        context,
      );
      return this.item(manager, req.id);
    });
  }

  /**
   * Refuses everything the signer signs from now on, and revokes every version it signed that
   * passed verification (the registry revokes them on signer.revoked; executors unload them).
   */
  async revoke(
    req: RequestMap['verification.signers.revoke'],
    context: MessageContext,
  ): Promise<ReplyMap['verification.signers.revoke']> {
    return this.dataSource.transaction(async (manager) => {
      const signer = await this.activeSigner(manager, req.id);
      Object.assign(signer, { revokedAt: new Date(), revokedBy: req.revoked_by });
      await manager.save(signer);
      const signed = await manager.find(VerificationRecord, {
        where: { signerId: req.id, outcome: 'verified' },
        order: { pluginId: 'ASC', version: 'ASC' },
      });
      const versions = signed.map((r) => ({ plugin_id: r.pluginId, version: r.version }));
      await this.outbox.add(
        manager,
        EventSubjects.SignerRevoked,
        {
          signer_id: req.id,
          revoked_by: req.revoked_by,
          actor: req.revoked_by,
          versions,
        },
        context,
      );
      return { signer: await this.item(manager, req.id), revoked_versions: versions };
    });
  }

  /**
   * An admin accepts `signer_id` (null: unsigned versions too) for a plugin id's next versions.
   * Accepting the signer already accepted is recorded too: the approval service keeps a copy of
   * the accepted signer from these events, and the event brings a copy that fell behind (a race
   * with an approval, a dead-lettered event) back in line.
   */
  async setPluginSigner(
    req: RequestMap['verification.plugins.signer'],
    context: MessageContext,
  ): Promise<ReplyMap['verification.plugins.signer']> {
    return this.dataSource.transaction(async (manager) => {
      if (req.signer_id !== null) await this.activeSigner(manager, req.signer_id);
      const previous = await manager.findOneBy(PluginSigner, { pluginId: req.plugin_id });
      await manager.save(PluginSigner, {
        pluginId: req.plugin_id,
        signerId: req.signer_id,
        setBy: req.changed_by,
      });
      await this.outbox.add(
        manager,
        EventSubjects.PluginSignerChanged,
        {
          plugin_id: req.plugin_id,
          from: previous?.signerId ?? null,
          to: req.signer_id,
          changed_by: req.changed_by,
          actor: req.changed_by,
        },
        context,
      );
      return {
        plugin_id: req.plugin_id,
        signer_id: req.signer_id,
        previous_signer_id: previous?.signerId ?? null,
      };
    });
  }

  /** A signed version approved: its signer is the one the plugin id's next versions need. */
  async onApproved(event: EventEnvelope<'plugin.approved'>): Promise<void> {
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      VERIFICATION_SERVICE,
      event.id,
      async (manager) => {
        const record = await manager.findOneBy(VerificationRecord, {
          pluginId: event.data.plugin_id,
          version: event.data.version,
        });
        if (!record?.signerId) return;
        await manager.save(PluginSigner, {
          pluginId: record.pluginId,
          signerId: record.signerId,
          setBy: 'approval',
        });
      },
    );
  }

  /**
   * What checking this manifest needs of the keyring, read now: the signer it names, the pin
   * of the plugin id it names, and the manifests each rotated-out key verified before its rotation.
   */
  async snapshot(raw: unknown): Promise<Keyring> {
    const manifest = (typeof raw === 'object' && raw !== null ? raw : {}) as {
      id?: unknown;
      signing?: { signer_id?: unknown };
    };
    const signerId = manifest.signing?.signer_id;
    const pluginId = manifest.id;
    const [signer, pin] = await Promise.all([
      typeof signerId === 'string' ? this.keyringSigner(signerId) : undefined,
      typeof pluginId === 'string'
        ? this.dataSource.getRepository(PluginSigner).findOneBy({ pluginId })
        : null,
    ]);
    const before = new Set<string>();
    for (const key of signer?.keys ?? []) {
      if (!key.rotatedAt) continue;
      const rows = await this.dataSource.getRepository(VerificationRecord).find({
        select: { manifestDigest: true },
        where: { keyId: key.keyId, outcome: 'verified', checkedAt: LessThan(key.rotatedAt) },
      });
      rows.forEach((r) => before.add(`${key.keyId}:${r.manifestDigest}`));
    }
    return {
      signer: (id) => (id === signer?.id ? signer : undefined),
      pinnedSigner: (id) => (id === pluginId ? (pin?.signerId ?? undefined) : undefined),
      signedBeforeRotation: (keyId, digest) => before.has(`${keyId}:${digest}`),
    };
  }

  /**
   * What changed in the keyring since `verdict` was reached, read under a shared lock on the
   * signer's row (revocation and rotation lock it for update, so they wait for the caller's
   * transaction or the caller waits for them): `signer_revoked` when the signer is revoked now,
   * `signer_key_rotated` when the key that verified as current has been rotated out since.
   * Undefined when neither.
   */
  async changedSince(
    manager: EntityManager,
    verdict: SignatureVerdict,
  ): Promise<Finding | undefined> {
    const signer = await manager.findOne(Signer, {
      where: { id: verdict.signerId },
      lock: { mode: 'pessimistic_read' },
    });
    const path = '/signing/signer_id';
    if (signer?.revokedAt !== null)
      return {
        code: 'signer_revoked',
        message: `signer ${verdict.signerId} was revoked while this version was checked`,
        path,
      };
    const key = await manager.findOneBy(SignerKey, { keyId: verdict.keyId });
    if (verdict.keyRotatedAt === null && key?.rotatedAt !== null)
      return {
        code: 'signer_key_rotated',
        message: `the key of ${verdict.signerId} that signed this version was rotated out while it was checked; sign again with the current key`,
        path,
      };
    return undefined;
  }

  private async keyringSigner(id: string): Promise<KeyringSigner | undefined> {
    const signer = await this.dataSource.getRepository(Signer).findOneBy({ id });
    if (!signer) return undefined;
    const keys = await this.dataSource
      .getRepository(SignerKey)
      .find({ where: { signerId: id }, order: { addedAt: 'DESC' } });
    return {
      id,
      trust: signer.trust,
      revoked: signer.revokedAt !== null,
      keys: keys.map((k) => ({
        keyId: k.keyId,
        publicKey: decodeBase64url(k.publicKey) ?? new Uint8Array(),
        rotatedAt: k.rotatedAt,
      })),
    };
  }

  private async activeSigner(manager: EntityManager, id: string): Promise<Signer> {
    const signer = await manager.findOne(Signer, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!signer) throw new DomainError('not_found', `no signer ${id} in the keyring`);
    if (signer.revokedAt)
      throw new DomainError('invalid_state', `signer ${id} is revoked; add a new signer instead`);
    return signer;
  }

  /** A key belongs to one signer, once: a rotated-out or revoked key never comes back. */
  private async refuseKnownKey(manager: EntityManager, keyId: string): Promise<void> {
    const known = await manager.findOneBy(SignerKey, { keyId });
    if (known)
      throw new DomainError(
        'conflict',
        `this public key is (or was) a key of signer ${known.signerId}; generate a new key`,
      );
  }

  private async item(manager: EntityManager, id: string): Promise<SignerItem> {
    const signer = await manager.findOneByOrFail(Signer, { id });
    const keys = await manager.find(SignerKey, {
      where: { signerId: id },
      order: { addedAt: 'DESC' },
    });
    return toItem(signer, keys);
  }
}

/** The key id of a public key a signer may have, or a `validation_failed` naming why not. */
function checkedKeyId(publicKey: string): string {
  const bytes = decodeBase64url(publicKey);
  const check = bytes
    ? checkSignerPublicKey(bytes)
    : ({ ok: false, code: 'signer_key_invalid', message: 'not unpadded base64url' } as const);
  if (!check.ok)
    throw new DomainError('validation_failed', `public_key refused: ${check.message}`, [
      { code: check.code, message: check.message, path: '/public_key' },
    ]);
  return keyIdOf(bytes!);
}

function toItem(signer: Signer, keys: SignerKey[]): SignerItem {
  const sorted = [...keys].sort(
    (a, b) => Number(a.rotatedAt !== null) - Number(b.rotatedAt !== null),
  );
  return {
    id: signer.id,
    trust: signer.trust,
    status: signer.revokedAt ? 'revoked' : 'active',
    keys: sorted.map((k) => ({
      key_id: k.keyId,
      public_key: k.publicKey,
      added_at: k.addedAt.toISOString(),
      rotated_at: k.rotatedAt?.toISOString() ?? null,
    })),
    added_by: signer.addedBy,
    added_at: signer.addedAt.toISOString(),
    revoked_at: signer.revokedAt?.toISOString() ?? null,
    revoked_by: signer.revokedBy,
  };
}
