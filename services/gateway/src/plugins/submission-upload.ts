import type { Readable } from 'node:stream';
import {
  createParamDecorator,
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { DomainError } from '@convergio/contracts';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { tooLarge } from '../http/limit-errors.js';
import { RetryLaterError } from '../http/retry-later.js';
import type { AuthedRequest } from '../auth/request-authentication.js';
import { SubmissionPlaces, type SubmissionPlace } from './submission-places.js';
import type { SubmissionParts } from './submission.service.js';

const PARTS = ['manifest', 'module', 'sbom'] as const;
type Part = (typeof PARTS)[number];

/** The media type of a submission. */
export const SUBMISSION_MEDIA_TYPE = 'multipart/form-data';

/** What the submit route takes, said in every refusal of the request's shape. */
export const SUBMISSION_FORM =
  'multipart/form-data with the parts manifest (plugin.json), module (.wasm) and, optionally, sbom (CycloneDX JSON), each at most once';

interface PartLimit {
  name: Part;
  bytes: number;
  setting: string;
}

type SubmissionRequest = AuthedRequest & { submission?: SubmissionParts };

/** Injection token of how many submissions are received at once (GATEWAY_MAX_CONCURRENT_SUBMISSIONS). */
export const MAX_CONCURRENT_SUBMISSIONS = Symbol('MAX_CONCURRENT_SUBMISSIONS');

/**
 * Reads the multipart body of a submission (through @fastify/multipart), refusing what does not
 * fit before the route runs: a body that is not multipart/form-data (415), a part over its own
 * limit as soon as it passes it (413 naming the part, the limit and its variable), an unknown
 * or repeated part (400 listing the parts), a part with a Content-Transfer-Encoding (415). Each
 * part is read as the bytes sent, whatever charset its Content-Type names: busboy hands on a
 * part's media type without its parameters, so a part's charset cannot be refused here as the
 * request's is (415); the manifest and the SBOM must be strict UTF-8 instead (readManifestPart,
 * checkSbomPart), refused 400 otherwise. Parts are kept in memory, for
 * {@link SubmittedParts}; nothing reaches the artifact store from here. At most
 * GATEWAY_MAX_CONCURRENT_SUBMISSIONS submissions are in hand at once (read, then handled, until
 * their answer is sent), shared among publishers under contention ({@link SubmissionPlaces});
 * one more is refused 503 `unavailable` with Retry-After, its body drained unread, and so is a
 * slow upload whose place another publisher took: the memory parts take stays bounded.
 */
@Injectable()
export class SubmissionUpload implements NestInterceptor {
  private readonly parts: Record<Part, PartLimit>;
  /** Bounds of the parser itself; each part is refused at its own limit first. */
  private readonly parserLimits: Record<string, number>;

  private readonly places: SubmissionPlaces;

  constructor(
    @Inject(GATEWAY_LIMITS) limits: GatewayLimits,
    @Inject(MAX_CONCURRENT_SUBMISSIONS) private readonly maxInHand: number,
  ) {
    this.parts = {
      manifest: part('manifest', limits.GATEWAY_MAX_MANIFEST_BYTES, 'GATEWAY_MAX_MANIFEST_BYTES'),
      module: part('module', limits.GATEWAY_MAX_MODULE_BYTES, 'GATEWAY_MAX_MODULE_BYTES'),
      sbom: part('sbom', limits.GATEWAY_MAX_SBOM_BYTES, 'GATEWAY_MAX_SBOM_BYTES'),
    };
    // Every part is read as a file (readParts): one part past the known ones is enough to
    // name it unknown or repeated.
    this.parserLimits = {
      fileSize: Math.max(...PARTS.map((p) => this.parts[p].bytes)) + 1,
      files: PARTS.length + 1,
    };
    this.places = new SubmissionPlaces(
      maxInHand,
      (held) =>
        new RetryLaterError(
          'unavailable',
          `another publisher's submission took this one's place: the gateway's ${maxInHand} places (GATEWAY_MAX_CONCURRENT_SUBMISSIONS) are shared among the publishers sending at once, and this publisher held ${held} of them; retry after the Retry-After header's seconds`,
          1000,
        ),
    );
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<SubmissionRequest>();
    if (!isFormData(request.headers['content-type'])) throw notMultipart(request);
    const publisher = request.principal.publisher ?? request.principal.keyId;
    const place = this.places.take(publisher);
    if (!place) {
      await drain(request.raw);
      throw new RetryLaterError(
        'unavailable',
        `the gateway is receiving ${this.maxInHand} submissions already (GATEWAY_MAX_CONCURRENT_SUBMISSIONS), ${this.places.heldBy(publisher)} of them this publisher's; retry after the Retry-After header's seconds`,
        1000,
      );
    }
    // Given back once the answer is sent or the connection is gone, the parts with it. A client
    // gone while its key was checked has closed the response already: no 'close' is heard then.
    const response = context.switchToHttp().getResponse<FastifyReply>().raw;
    if (response.closed) place.release();
    else response.once('close', () => place.release());
    try {
      request.submission = await Promise.race([this.read(request, place), aborted(place.signal)]);
    } catch (error) {
      // The client may still be sending: the answer goes once the body has been read.
      await drain(request.raw);
      throw this.refusal(error);
    }
    return next.handle();
  }

  /**
   * The parts of the body. When the place is given away, what was read is dropped at once and
   * the part being read is ended: the memory a place bounds is free for the submission that took
   * it, though the client may still be sending.
   */
  private async read(request: FastifyRequest, place: SubmissionPlace): Promise<SubmissionParts> {
    const { signal } = place;
    const read: SubmissionParts = {};
    let reading: Readable | undefined;
    const drop = () => {
      reading?.destroy(signal.reason as Error);
      for (const name of PARTS) delete read[name];
    };
    signal.addEventListener('abort', drop, { once: true });
    try {
      // Every part, a text field too, is taken as a file: its bytes as sent. Read as a field,
      // busboy would decode it in the charset its Content-Type names and @fastify/multipart
      // JSON-parse an application/json one, so the manifest checked would not be the bytes sent.
      const parts = request.parts({ limits: this.parserLimits, isPartAFile: () => true });
      for await (const p of parts) {
        signal.throwIfAborted();
        const name = p.fieldname as Part;
        const limit = PARTS.includes(name) ? this.parts[name] : undefined;
        if (p.type !== 'file' || !limit || read[name] !== undefined)
          throw unexpectedPart(p.fieldname);
        if (!AS_SENT.has(p.encoding)) throw encodedPart(name, p.encoding);
        reading = p.file;
        read[name] = await readWithin(p.file, limit);
        reading = undefined;
      }
      signal.throwIfAborted();
      place.bodyRead();
      return read;
    } finally {
      signal.removeEventListener('abort', drop);
    }
  }

  /**
   * The parser's own errors, in words that name the part and say what to send. A fault of the
   * code (a TypeError and the like) is not the client's: it stays an internal error, its
   * message logged, not sent.
   */
  private refusal(error: unknown): unknown {
    if (error instanceof DomainError || isCodeFault(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new DomainError(
      'bad_request',
      `the submission cannot be read (${message}): send ${SUBMISSION_FORM}`,
    );
  }
}

/** The parts {@link SubmissionUpload} read for the current request. */
export const SubmittedParts = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): SubmissionParts =>
    ctx.switchToHttp().getRequest<SubmissionRequest>().submission ?? {},
);

const part = (name: Part, bytes: number, setting: string): PartLimit => ({ name, bytes, setting });

/** The Content-Transfer-Encodings that leave a part's bytes as they are (busboy's default 7bit). */
const AS_SENT = new Set(['7bit', '8bit', 'binary']);

/** A part with a Content-Transfer-Encoding, which RFC 7578 §4.7 deprecates and busboy never decodes. */
const encodedPart = (name: Part, encoding: string) =>
  new DomainError(
    'unsupported_media_type',
    `the multipart part "${name}" has Content-Transfer-Encoding: ${encoding.slice(0, 100)}; parts are read as sent: send its bytes as they are, without a Content-Transfer-Encoding header`,
    [
      {
        code: 'content_transfer_encoding',
        message: `send the part "${name}" without Content-Transfer-Encoding`,
      },
    ],
  );

const partTooLarge = (p: PartLimit) =>
  tooLarge(`the multipart part "${p.name}"`, `${p.name}_too_large`, p.bytes, p.setting);

/** `name` is undefined (whatever its type says) for a part whose Content-Disposition names none. */
const unexpectedPart = (name: string | undefined) =>
  new DomainError(
    'bad_request',
    name === undefined
      ? `a multipart part has no name (Content-Disposition: form-data; name="..."): send ${SUBMISSION_FORM}`
      : `the multipart part "${name.slice(0, 100)}" is unknown or repeated: send ${SUBMISSION_FORM}`,
  );

const isCodeFault = (error: unknown) =>
  error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError;

/** The media type of a Content-Type header is multipart/form-data (parameters aside). */
function isFormData(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === SUBMISSION_MEDIA_TYPE;
}

function notMultipart(request: FastifyRequest): DomainError {
  const type = request.headers['content-type']?.split(';')[0];
  return new DomainError(
    'unsupported_media_type',
    `POST /v1/plugins takes ${SUBMISSION_FORM}; this request is ${type ? type.slice(0, 100) : 'without a body'}`,
  );
}

/** A file part's bytes, refused as soon as they pass its limit. */
async function readWithin(stream: Readable, limit: PartLimit): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit.bytes) {
      stream.destroy();
      throw partTooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Rejects with the signal's reason when it aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
  );
}

/** Reads and drops what is left of a request body. */
function drain(raw: FastifyRequest['raw']): Promise<void> {
  raw.unpipe();
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    raw.once('end', resolve);
    raw.once('close', resolve);
    raw.once('error', () => resolve());
    raw.resume();
  });
}
