import { EventEmitter } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, of } from 'rxjs';
import type { GatewayLimits } from '../config/gateway.config.js';
import { SubmissionUpload } from './submission-upload.js';

const limits = {
  GATEWAY_MAX_MANIFEST_BYTES: 1024,
  GATEWAY_MAX_MODULE_BYTES: 1024,
  GATEWAY_MAX_SBOM_BYTES: 1024,
} as GatewayLimits;

/**
 * A submission of `publisher` whose response is `closed` already (its client gone) or not: with
 * no parts, or with a module part whose bytes come as `module` is written and ended.
 */
function submission(closed: boolean, publisher = 'acme', module?: PassThrough) {
  const response = Object.assign(new EventEmitter(), { closed });
  const request = {
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
    principal: { keyId: `key-of-${publisher}`, publisher },
    raw: Readable.from([]),
    parts: function* () {
      if (module) yield { type: 'file', fieldname: 'module', encoding: '7bit', file: module };
    },
  };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({ raw: response }) }),
  } as unknown as ExecutionContext;
  return { context, response };
}

/** A submission of `publisher` still sending its module: `end()` sends the rest. */
function slowUpload(upload: SubmissionUpload, publisher: string) {
  const module = new PassThrough();
  module.write('\0asm');
  const { context, response } = submission(false, publisher, module);
  const outcome = upload.intercept(context, next).then((handled) => lastValueFrom(handled));
  outcome.catch(() => undefined);
  return { outcome, response, module, end: () => module.end() };
}

const settled = (p: Promise<unknown>) =>
  Promise.race([
    p.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((r) => setImmediate(() => r('pending'))),
  ]);

const next: CallHandler = { handle: () => of('handled') };

describe('SubmissionUpload places', () => {
  it('takes no place for a submission whose client left while its key was checked', async () => {
    const upload = new SubmissionUpload(limits, 1);
    // The response closed before the interceptor ran: its 'close' is never heard again.
    await lastValueFrom(await upload.intercept(submission(true).context, next));
    const { context, response } = submission(false);
    await expect(lastValueFrom(await upload.intercept(context, next))).resolves.toBe('handled');
    // That one holds the only place until its response closes.
    await expect(upload.intercept(submission(false).context, next)).rejects.toMatchObject({
      code: 'unavailable',
    });
    response.emit('close');
    await expect(
      lastValueFrom(await upload.intercept(submission(false).context, next)),
    ).resolves.toBe('handled');
  });

  it('lets a publisher alone take every place; under contention, another publisher takes the place of its latest slow upload', async () => {
    const upload = new SubmissionUpload(limits, 3);
    const hog = [slowUpload(upload, 'hog'), slowUpload(upload, 'hog'), slowUpload(upload, 'hog')];
    expect(await settled(hog[2].outcome)).toBe('pending');
    const other = slowUpload(upload, 'other');
    await expect(hog[2].outcome).rejects.toMatchObject({
      code: 'unavailable',
      retryAfterSeconds: 1,
      message: expect.stringContaining(
        "another publisher's submission took this one's place: the gateway's 3 places (GATEWAY_MAX_CONCURRENT_SUBMISSIONS) are shared among the publishers sending at once, and this publisher held 3 of them",
      ),
    });
    // The part it was reading is ended: its bytes are not kept.
    expect(hog[2].module.destroyed).toBe(true);
    other.end();
    await expect(other.outcome).resolves.toBe('handled');
    for (const h of hog.slice(0, 2)) {
      expect(await settled(h.outcome)).toBe('pending');
      h.end();
      await expect(h.outcome).resolves.toBe('handled');
    }
  });

  it('shares the places evenly: a publisher holding one fewer, or a submission being handled, gives no place', async () => {
    const upload = new SubmissionUpload(limits, 3);
    const a = [slowUpload(upload, 'a'), slowUpload(upload, 'a')];
    const b = slowUpload(upload, 'b');
    // a holds 2, b holds 1: b's next would leave a 1 and b 2, no fairer.
    await expect(slowUpload(upload, 'b').outcome).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining(
        "the gateway is receiving 3 submissions already (GATEWAY_MAX_CONCURRENT_SUBMISSIONS), 1 of them this publisher's",
      ),
    });
    // a's are read and being handled (their answers not sent yet): c, holding none, waits too.
    for (const s of a) s.end();
    for (const s of a) await expect(s.outcome).resolves.toBe('handled');
    await expect(slowUpload(upload, 'c').outcome).rejects.toMatchObject({ code: 'unavailable' });
    expect(await settled(b.outcome)).toBe('pending');
    a[0].response.emit('close');
    const c = slowUpload(upload, 'c');
    c.end();
    await expect(c.outcome).resolves.toBe('handled');
  });

  it('refuses a slow upload whose place was taken between two parts, without waiting for the next part', async () => {
    const upload = new SubmissionUpload(limits, 2);
    const first = slowUpload(upload, 'hog');
    const stalled = new Promise<never>(() => undefined);
    const request = {
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      principal: { keyId: 'k', publisher: 'hog' },
      raw: Readable.from([]),
      parts: async function* () {
        yield {
          type: 'file',
          fieldname: 'manifest',
          encoding: '7bit',
          file: Readable.from([Buffer.from('{}')]),
        };
        await stalled;
      },
    };
    const context = {
      switchToHttp: () => ({
        getRequest: () => request,
        getResponse: () => ({ raw: Object.assign(new EventEmitter(), { closed: false }) }),
      }),
    } as unknown as ExecutionContext;
    const hog = upload.intercept(context, next);
    hog.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    const other = slowUpload(upload, 'other');
    await expect(hog).rejects.toMatchObject({ code: 'unavailable' });
    other.end();
    await expect(other.outcome).resolves.toBe('handled');
    first.end();
    await expect(first.outcome).resolves.toBe('handled');
  });
});
