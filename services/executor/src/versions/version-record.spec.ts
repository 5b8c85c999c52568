import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@convergio/contracts';
import { aManifest } from '@convergio/testing';
import type { VersionRecordStatus } from './version-record-status.js';
import { applyChange, changeOf, pickRunnable, type VersionRecord } from './version-record.js';

/** One plugin's records after moving versions through statuses in order. */
function history(id: string, moves: [version: string, status: VersionRecordStatus][]) {
  const records = new Map<string, VersionRecord>();
  for (const [version, status] of moves) {
    const next = applyChange(
      records.get(version),
      { pluginId: id, version },
      {
        status,
        moduleSha256: 'a'.repeat(64),
        ...(status === 'approved' && {
          trust: 'untrusted' as const,
          manifest: aManifest({ id, version }),
        }),
      },
      new Date().toISOString(),
    );
    if (next) records.set(version, next);
  }
  return [...records.values()];
}

describe('the version a call runs', () => {
  it('is the highest approved release by default, whatever order they were approved in', () => {
    const records = history('d.order', [
      ['1.10.0', 'approved'],
      ['1.9.0', 'approved'],
    ]);
    expect(pickRunnable('d.order', records).version).toBe('1.10.0');
  });

  it('is an approved pre-release only when asked for by version', () => {
    const records = history('d.beta', [
      ['2.0.0', 'approved'],
      ['3.0.0-beta.1', 'approved'],
    ]);
    expect(pickRunnable('d.beta', records).version).toBe('2.0.0');
    expect(pickRunnable('d.beta', records, '3.0.0-beta.1').version).toBe('3.0.0-beta.1');
  });

  it('falls back to the previous release when the highest is revoked, and refuses the revoked one', () => {
    const records = history('d.revoked', [
      ['1.0.0', 'approved'],
      ['2.0.0', 'approved'],
      ['2.0.0', 'revoked'],
    ]);
    expect(pickRunnable('d.revoked', records).version).toBe('1.0.0');
    expect(() => pickRunnable('d.revoked', records, '2.0.0')).toThrow(
      expect.objectContaining({
        code: 'invalid_state',
        message: expect.stringContaining('revoked'),
      }),
    );
  });

  it('refuses a default call when no release is approved, naming the approved pre-releases to run instead', () => {
    const records = history('d.none', [
      ['1.0.0-rc.1', 'approved'],
      ['1.0.0-rc.2', 'approved'],
      ['1.0.0-rc.3', 'pending'],
      ['1.0.0', 'pending'],
    ]);
    expect(() => pickRunnable('d.none', records)).toThrow(
      expect.objectContaining({
        code: 'invalid_state',
        message:
          'd.none has no approved release to run by default; its approved pre-releases run when a call names one, e.g. "version": "1.0.0-rc.2" (approved pre-releases: 1.0.0-rc.2, 1.0.0-rc.1)',
      }),
    );
  });

  it('suggests no pre-release when none is approved (a revoked or pending one is not)', () => {
    const records = history('d.nothing', [
      ['1.0.0-rc.1', 'approved'],
      ['1.0.0-rc.1', 'revoked'],
      ['1.0.0', 'pending'],
    ]);
    expect(() => pickRunnable('d.nothing', records)).toThrow(
      expect.objectContaining({
        code: 'invalid_state',
        message:
          'd.nothing has no approved version, and only approved versions run (GET /v1/plugins/d.nothing shows where each stands)',
      }),
    );
  });

  it('says a version still in review is not approved yet, in the words the registry uses', () => {
    const records = history('d.review', [['1.0.0', 'pending']]);
    expect(() => pickRunnable('d.review', records, '1.0.0')).toThrow(
      expect.objectContaining({
        code: 'invalid_state',
        message:
          'd.review@1.0.0 is not approved yet (it is being verified, or waits for an admin); only approved versions run',
      }),
    );
  });

  it('refuses unknown plugins and versions with not_found', () => {
    expect(() => pickRunnable('d.nobody', [])).toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
    const records = history('d.some', [['1.0.0', 'approved']]);
    expect(() => pickRunnable('d.some', records, '9.9.9')).toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
  });

  it('starts a rejected version over when it is submitted again, and runs it once approved', () => {
    const resubmitted = history('d.retry', [
      ['1.0.0', 'pending'],
      ['1.0.0', 'rejected'],
      ['1.0.0', 'pending'],
    ]);
    expect(resubmitted[0]).toMatchObject({ status: 'pending', manifest: null });
    const approved = history('d.retry', [
      ['1.0.0', 'pending'],
      ['1.0.0', 'rejected'],
      ['1.0.0', 'pending'],
      ['1.0.0', 'approved'],
    ]);
    expect(pickRunnable('d.retry', approved).version).toBe('1.0.0');
  });

  it('never moves a revoked version back, whatever event arrives late', () => {
    const records = history('d.late', [
      ['1.0.0', 'approved'],
      ['1.0.0', 'revoked'],
      ['1.0.0', 'approved'],
    ]);
    expect(records[0].status).toBe('revoked');
  });
});

describe('changeOf', () => {
  const envelope = (type: string, data: object) =>
    ({ id: randomUUID(), type, occurred_at: new Date().toISOString(), data }) as EventEnvelope;

  it('reads the lifecycle events and ignores the others', () => {
    expect(changeOf(envelope('plugin.rejected', {}))).toEqual({ status: 'rejected' });
    expect(changeOf(envelope('plugin.revoked', {}))).toEqual({ status: 'revoked' });
    const submitted = { module_sha256: 'b'.repeat(64), submitted_by: 'k1', publisher: 'acme' };
    expect(changeOf(envelope('plugin.submitted', submitted))).toEqual({
      status: 'pending',
      moduleSha256: 'b'.repeat(64),
      publisher: 'acme',
    });
    expect(changeOf(envelope('plugin.loaded', {}))).toBeUndefined();
  });

  it('charges a submission by a key from before publishers to that key, as the registry owns it', () => {
    for (const publisher of [null, undefined])
      expect(
        changeOf(envelope('plugin.submitted', { submitted_by: 'k1', publisher })),
      ).toMatchObject({ publisher: 'key:k1' });
  });
});
