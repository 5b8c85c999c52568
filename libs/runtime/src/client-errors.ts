import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ServiceLogger } from '@convergio/observability';

/** What each refusal of Node's HTTP parser tells the client, in the platform's error shape. */
function describe(error: NodeJS.ErrnoException): { status: number; code: string; message: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return {
      status: 431,
      code: 'headers_too_large',
      message: `the request line and headers together are larger than ${maxHeaderSize} bytes (Node's --max-http-header-size)`,
    };
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      code: 'request_timeout',
      message: 'the request was not received in time',
    };
  return {
    status: 400,
    code: 'malformed_request',
    message:
      'the request is not valid HTTP/1.1 (a malformed request line or header, a Content-Length that is not a number, or Content-Length together with Transfer-Encoding)',
  };
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any request exists (a
 * header block over its limit, malformed HTTP, Content-Length with Transfer-Encoding) is
 * answered like every other error, `{"error": {code: "bad_request", message, details}}` ending
 * with a newline, the parser's reason in `details[0].code`, then the connection is closed; the
 * access log gets its line (method and route `(unparsed)`). A connection already gone, or
 * ended by its client mid-request, is closed without an answer or a line.
 */
export function clientErrorReply(logger: ServiceLogger) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // The client ended the connection mid-request: nobody to answer (the request, if it began,
    // is logged as aborted).
    if (error.code === 'HPE_INVALID_EOF_STATE') return void socket.destroy();
    const { status, code, message } = describe(error);
    const body = `${JSON.stringify({
      error: { code: 'bad_request', message, details: [{ code, message }] },
    })}\n`;
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          'Connection: close\r\n\r\n' +
          body,
      );
    socket.destroy(error);
    logger.access(
      { method: '(unparsed)', route: '(unparsed)', status, duration_ms: 0, key_id: null },
      false,
    );
  };
}
