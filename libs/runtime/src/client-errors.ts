import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import { logAccess, type ServiceLogger } from '@convergio/observability';
import type { HttpTimeouts } from './base-config.js';
import { refusalBody, type Refusal } from './refusal-reply.js';

/** The most a request's headers get of {@link HttpTimeouts.requestMs} (Node's default). */
const HEADERS_MAX_MS = 60_000;
/** How often Node looks for requests past their time (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1000;

/** The time a request's headers get: at most {@link HEADERS_MAX_MS}, and never more than the whole request. */
const headersMs = (timeouts: HttpTimeouts) => Math.min(HEADERS_MAX_MS, timeouts.requestMs);

/**
 * The Fastify options that bound how long a client takes to send a request (`requestTimeout`,
 * and Node's `headersTimeout`, checked every second) and may leave its connection silent
 * (`connectionTimeout`, the socket's idle timeout; see {@link idleTimeoutHook}).
 */
export function serverTimeouts(
  timeouts: HttpTimeouts,
): Pick<FastifyHttpOptions<Server>, 'requestTimeout' | 'connectionTimeout' | 'http'> {
  return {
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: headersMs(timeouts),
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, headersMs(timeouts)),
    },
  };
}

/** What each refusal of Node's HTTP parser tells the client, in the platform's error shape. */
function describe(error: NodeJS.ErrnoException, timeouts: HttpTimeouts): Refusal {
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
      message: `the request was not received in time: its headers within ${headersMs(timeouts)} ms, all of it within ${timeouts.requestMs} ms (HTTP_REQUEST_TIMEOUT_MS)`,
    };
  return {
    status: 400,
    code: 'malformed_request',
    message:
      'the request is not valid HTTP/1.1 (a malformed request line or header, a Content-Length that is not a number, or Content-Length together with Transfer-Encoding)',
  };
}

/** The request each connection is receiving or answering, set by {@link idleTimeoutHook}. */
const requestOn = new WeakMap<Socket, { request: FastifyRequest; reply: FastifyReply }>();

/**
 * Answers `refusal` on the connection in the platform's error shape and closes it, unless the
 * answer of its request has begun (then it is only closed). The access log gets one line: the
 * request's own (method and route) when one was dispatched, else the `method` Node parsed with
 * route `(no route)`, else `(unparsed)`. A refusal of a
 * request pipelined after one received whole and not yet answered waits for that answer: the
 * answers keep the order of the requests (RFC 9112 §9.3.2), so the earlier request's client gets
 * what its request did, not the later one's refusal.
 */
function refuse(
  logger: ServiceLogger,
  socket: Socket,
  refusal: Refusal,
  { error, method }: { error?: Error; method?: string } = {},
): void {
  const current = requestOn.get(socket);
  if (current?.request.raw.complete && !current.reply.raw.writableFinished) {
    requestOn.delete(socket);
    // Node hands every later byte to the failed parser again: nothing more is read.
    socket.pause();
    const answered = current.reply.raw;
    const after = () => {
      answered.off('finish', after).off('close', after);
      refuse(logger, socket, refusal, { error, method });
    };
    answered.once('finish', after).once('close', after);
    return;
  }
  const { status } = refusal;
  const answering = current?.reply.raw.headersSent ?? false;
  const body = refusalBody(refusal);
  if (socket.writable && !answering)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  // Logged before the close, which would log the request as abandoned (499).
  if (current && !answering) logAccess(logger, current.request, status, current.reply.elapsedTime);
  socket.destroy(error);
  if (!current)
    logger.access(
      {
        method: method ?? '(unparsed)',
        route: method ? '(no route)' : '(unparsed)',
        status,
        duration_ms: 0,
        key_id: null,
      },
      false,
    );
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (a header block over its
 * limit, malformed HTTP, Content-Length with Transfer-Encoding) and a request not received
 * within its time (`serverTimeouts`) is answered like every other error,
 * `{"error": {code: "bad_request", message, details}}` ending with a newline, the reason in
 * `details[0].code` (`request_timeout` with 408), then the connection is closed; the access log
 * gets its line (method and route `(unparsed)` unless the request's headers were in). A
 * connection already gone, or ended by its client mid-request, is closed without an answer or a
 * line.
 */
export function clientErrorReply(logger: ServiceLogger, timeouts: HttpTimeouts) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // The client ended the connection mid-request: nobody to answer (the request, if it began,
    // is logged as aborted).
    if (error.code === 'HPE_INVALID_EOF_STATE') return void socket.destroy();
    refuse(logger, socket, describe(error, timeouts), { error });
  };
}

const EXPECTATION_FAILED: Refusal = {
  status: 417,
  code: 'expectation_failed',
  message: 'the only Expect this service meets is 100-continue (RFC 9110 §10.1.1)',
};
const CONNECT_NOT_SERVED: Refusal = {
  status: 400,
  code: 'connect_not_served',
  message: 'CONNECT asks for a tunnel: this service is no proxy, it serves only its own routes',
};

/**
 * What Node's HTTP server on its own answers bare or not at all, answered like every other
 * refusal on the connection (the platform's error shape, then the connection closed, one
 * access-log line with the request's method and route `(no route)`): an `Expect` other than
 * `100-continue` (Node: a bare 417) with 417 `expectation_failed`, and a `CONNECT` (Node: the
 * connection closed without a byte) with 400 `connect_not_served`. `Expect: 100-continue` is
 * left to Node (100 Continue, then the request) unless the service listens for 'checkContinue'
 * itself, as the gateway does to ask for a body only once its key passed.
 */
export function answerUnservedRequests(server: Server, logger: ServiceLogger): void {
  server.on('checkExpectation', (request: IncomingMessage) =>
    refuse(logger, request.socket, EXPECTATION_FAILED, { method: request.method }),
  );
  server.on('connect', (request: IncomingMessage, socket: Duplex) =>
    refuse(logger, socket as Socket, CONNECT_NOT_SERVED, { method: request.method }),
  );
}

/**
 * Fastify `onRequest` hook applying the idle timeout (`connectionTimeout`) only while the
 * client owes bytes: a request whose body pauses that long is answered 408 `request_timeout`
 * (one line in the access log), an answer the client does not read is dropped with its
 * connection; while the server works on a received request (a `?wait`, an invoke) silence is
 * the server's and the connection stays. Between requests Node closes an idle connection
 * itself (Fastify's `keepAliveTimeout`).
 */
export function idleTimeoutHook(logger: ServiceLogger, timeouts: HttpTimeouts) {
  const refusal: Refusal = {
    status: 408,
    code: 'request_timeout',
    message: `the request paused for ${timeouts.idleMs} ms (HTTP_IDLE_TIMEOUT_MS) before all of it was received`,
  };
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const socket = request.raw.socket;
    requestOn.set(socket, { request, reply });
    reply.raw.once('finish', () => {
      if (requestOn.get(socket)?.reply === reply) requestOn.delete(socket);
    });
    // A listener here keeps Node from closing the idle connection itself: this decides.
    reply.raw.on('timeout', () => {
      if (request.raw.complete && !reply.raw.headersSent) return;
      refuse(logger, socket, refusal);
    });
    done();
  };
}
