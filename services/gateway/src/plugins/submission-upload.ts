import {
  HttpException,
  Inject,
  Injectable,
  UnsupportedMediaTypeException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { Observable } from 'rxjs';
import { DomainError } from '@convergio/contracts';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { tooLarge } from '../http/limit-errors.js';

const PARTS = ['manifest', 'module', 'sbom'] as const;
type Part = (typeof PARTS)[number];
/** The parts of a submission as they arrived; the manifest may also come as a text field. */
export type UploadedParts = Partial<Record<Part, { buffer: Buffer }[]>>;

/** What the submit route takes, said in every refusal of the request's shape. */
export const SUBMISSION_FORM =
  'multipart/form-data with the parts manifest (plugin.json), module (.wasm) and, optionally, sbom (CycloneDX JSON), each at most once';

interface PartLimit {
  name: Part;
  bytes: number;
  setting: string;
}

/**
 * Reads the multipart body of a submission, refusing what does not fit before the route runs: a
 * body that is not multipart/form-data (415), a part over its own limit as soon as it passes it
 * (413 naming the part, the limit and its variable), an unknown or repeated part (400 listing the
 * parts). Parts are kept in memory; nothing reaches the artifact store from here.
 */
@Injectable()
export class SubmissionUpload implements NestInterceptor {
  private readonly parts: Record<Part, PartLimit>;
  private readonly multer: NestInterceptor;

  constructor(@Inject(GATEWAY_LIMITS) limits: GatewayLimits) {
    this.parts = {
      manifest: part('manifest', limits.GATEWAY_MAX_MANIFEST_BYTES, 'GATEWAY_MAX_MANIFEST_BYTES'),
      module: part('module', limits.GATEWAY_MAX_MODULE_BYTES, 'GATEWAY_MAX_MODULE_BYTES'),
      sbom: part('sbom', limits.GATEWAY_MAX_SBOM_BYTES, 'GATEWAY_MAX_SBOM_BYTES'),
    };
    const largest = Math.max(...PARTS.map((p) => this.parts[p].bytes));
    const Multer = FileFieldsInterceptor(
      PARTS.map((name) => ({ name, maxCount: 1 })),
      {
        storage: partsInMemory(this.parts),
        // The storage refuses a part over its own limit first; these bound the rest.
        limits: {
          fileSize: largest + 1,
          fieldSize: this.parts.manifest.bytes,
          files: PARTS.length,
          fields: PARTS.length,
        },
      },
    );
    this.multer = new Multer();
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.is('multipart/form-data')) throw notMultipart(request);
    try {
      return await this.multer.intercept(context, next);
    } catch (error) {
      throw this.refusal(error);
    }
  }

  /** Multer's and busboy's errors, in words that name the part and say what to send. */
  private refusal(error: unknown): unknown {
    if (!(error instanceof HttpException)) return error;
    const { code, field } = (error.cause ?? {}) as { code?: unknown; field?: unknown };
    const limit = PARTS.find((p) => p === field);
    if (limit && (code === 'LIMIT_FILE_SIZE' || code === 'LIMIT_FIELD_VALUE'))
      return partTooLarge(this.parts[limit]);
    if (error instanceof UnsupportedMediaTypeException) return notMultipart();
    return new DomainError(
      'bad_request',
      `the submission cannot be read (${error.message}): send ${SUBMISSION_FORM}`,
    );
  }
}

const part = (name: Part, bytes: number, setting: string): PartLimit => ({ name, bytes, setting });

const partTooLarge = (p: PartLimit) =>
  tooLarge(`the multipart part "${p.name}"`, `${p.name}_too_large`, p.bytes, p.setting);

function notMultipart(request?: Request): DomainError {
  const type = request?.headers['content-type']?.split(';')[0];
  return new DomainError(
    'unsupported_media_type',
    `POST /v1/plugins takes ${SUBMISSION_FORM}; this request is ${type ? type.slice(0, 100) : 'without a body'}`,
  );
}

/** Multer storage keeping each part in memory, refused as soon as it passes its part's limit. */
function partsInMemory(parts: Record<Part, PartLimit>): StorageEngine {
  return {
    _handleFile(_req, file, done) {
      // Multer hands over only the parts the route declares.
      const limit = parts[file.fieldname as Part];
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      file.stream.on('data', (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size <= limit.bytes) return void chunks.push(chunk);
        refused = true;
        chunks.length = 0;
        done(partTooLarge(limit));
      });
      file.stream.on('end', () => {
        if (!refused) done(null, { buffer: Buffer.concat(chunks), size });
      });
    },
    _removeFile(_req, file, done) {
      delete (file as { buffer?: Buffer }).buffer;
      done(null);
    },
  };
}
