import { randomBytes } from 'node:crypto';

/** One file of a multipart/form-data body. */
export interface FilePart {
  field: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

/** A multipart/form-data body (RFC 7578), ready to send: its header value and its bytes. */
export interface MultipartBody {
  contentType: string;
  chunks: Buffer[];
  length: number;
}

/**
 * Builds the body in memory: submissions are bounded by the gateway's part limits (a module of
 * 16 MiB by default), and knowing the length lets the upload report progress against a total.
 */
export function multipartBody(
  parts: readonly FilePart[],
  boundary = `convergio-${randomBytes(16).toString('hex')}`,
): MultipartBody {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\n` +
          `Content-Disposition: form-data; name="${quoted(part.field)}"; filename="${quoted(part.filename)}"\r\n` +
          `Content-Type: ${part.contentType}\r\n\r\n`,
      ),
      Buffer.from(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    chunks,
    length: chunks.reduce((sum, chunk) => sum + chunk.length, 0),
  };
}

/** A header parameter value: quotes and line breaks would end it early, so they are replaced. */
const quoted = (value: string) => value.replace(/["\r\n\\]/g, '_');
