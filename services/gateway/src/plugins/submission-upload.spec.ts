import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, of } from 'rxjs';
import type { GatewayLimits } from '../config/gateway.config.js';
import { SubmissionUpload } from './submission-upload.js';

const limits = {
  GATEWAY_MAX_MANIFEST_BYTES: 1024,
  GATEWAY_MAX_MODULE_BYTES: 1024,
  GATEWAY_MAX_SBOM_BYTES: 1024,
} as GatewayLimits;

/** A submission with no parts whose response is `closed` already (its client gone) or not. */
function submission(closed: boolean) {
  const response = Object.assign(new EventEmitter(), { closed });
  const request = {
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
    raw: Readable.from([]),
    parts: async function* () {},
  };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({ raw: response }) }),
  } as unknown as ExecutionContext;
  return { context, response };
}

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
});
