import type { AddressInfo } from 'node:net';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { connectBus } from '@convergio/messaging';
import {
  abortedRequestLogHook,
  accessLogHook,
  initTelemetry,
  ServiceLogger,
  type LogSettings,
} from '@convergio/observability';
import type { HttpTimeouts } from './base-config.js';
import {
  answerUnservedRequests,
  clientErrorReply,
  idleTimeoutHook,
  serverTimeouts,
} from './client-errors.js';
import { guardConnections, pipeliningHook } from './connection-guard.js';
import { jsonEndsWithNewline } from './json-newline.js';
import { frameworkErrorReply, MAX_PARAM_CHARS } from './framework-errors.js';
import { PlatformErrorFilter } from './error-filter.js';
import { assertCanListen } from './listen-probe.js';
import { methodNotAllowedHook } from './method-not-allowed.js';
import { notFoundHooks } from './not-found.js';
import { queryEncodingHook } from './query-encoding.js';
import { requestHeadersHook } from './request-headers.js';

/** How a process serves HTTP and logs. */
export interface BootstrapOptions {
  port: number;
  host: string;
  /** How long a client gets to send a request and may pause (HTTP_REQUEST_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS). */
  timeouts: HttpTimeouts;
  /** Connections the port holds at once (HTTP_MAX_CONNECTIONS). */
  maxConnections: number;
  logging: LogSettings;
  /** Runs after the bus handlers start and before the port opens (e.g. OpenAPI). */
  beforeListen?: (app: NestFastifyApplication) => void;
  /** Let Nest close the app on SIGTERM/SIGINT; off when the caller has more to stop afterwards. */
  shutdownHooks?: boolean;
}

/**
 * The root module of every service: its error filter answers in the platform's error shape what
 * the service's own modules leave unhandled. Nest tries the last global filter registered first,
 * and registers the root module's before those of the modules it imports, so a filter of the
 * service's own (the gateway's) takes precedence.
 */
@Module({ providers: [{ provide: APP_FILTER, useClass: PlatformErrorFilter }] })
class ServiceHttpModule {}

/**
 * Creates a Nest application on Fastify (ADR 0018), starts its bus handlers and its HTTP port.
 * Throws ConfigError (naming HOST or PORT) when it cannot listen there, before anything joins the
 * bus (assertCanListen).
 */
export async function bootstrapService(
  name: string,
  module: Type | DynamicModule,
  o: BootstrapOptions,
): Promise<INestApplication> {
  await assertCanListen(o.port, o.host);
  initTelemetry(name);
  const logger = new ServiceLogger(name, o.logging);
  const server = serverTimeouts(o.timeouts);
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: ServiceHttpModule, imports: [module] },
    new FastifyAdapter({
      // Fastify's own request logging stays off: the access log below is the one.
      logger: false,
      // What the router refuses itself (a bad percent-encoding) in the platform's error shape.
      frameworkErrors: frameworkErrorReply(logger),
      // What Node's HTTP parser refuses (headers over its limit, malformed HTTP) and a request
      // not received in time likewise.
      clientErrorHandler: clientErrorReply(logger, o.timeouts),
      // A client sending a request slowly, or not at all, does not hold its connection.
      ...server,
      // An HTTP/1.1 request without Host gets requestHeadersHook's 400, not Node's bare one.
      http: { ...server.http, requireHostHeader: false },
      routerOptions: {
        // A path parameter of any length reaches the route's check (a 400 naming the field), not
        // the router's 414; Node's header limit (16 KiB) bounds the request line anyway.
        maxParamLength: MAX_PARAM_CHARS,
        // `/v1/plugins/` is `/v1/plugins`, as it was on Express.
        ignoreTrailingSlash: true,
      },
    }),
    // Nest's body parsers stay off: the gateway sets its own (prepareGatewayHttp), and no other
    // service takes a body. A provider's refusal (a ConfigError once the bus is known) reaches
    // the caller instead of ending the process with Nest's own log line.
    { logger, bodyParser: false, abortOnError: false },
  );
  const fastify = app.getHttpAdapter().getInstance();
  // A request its client gave up on gets its access-log line too (status 499).
  fastify.addHook('onRequest', abortedRequestLogHook(logger));
  // A request whose body pauses too long is answered 408; a server at work is not idle.
  fastify.addHook('onRequest', idleTimeoutHook(logger, o.timeouts));
  // Answers nobody reads do not pile up: pipelining is bounded, an unread answer times out.
  fastify.addHook('onRequest', pipeliningHook);
  guardConnections(fastify.server, o.maxConnections, o.timeouts.idleMs);
  // An Expect Node does not meet and a CONNECT, answered in the platform's error shape.
  answerUnservedRequests(fastify.server, logger);
  // No Host, or a header that must be sent once sent twice: 400 before anything reads them.
  fastify.addHook('onRequest', requestHeadersHook);
  // A query string that does not decode: 400 bad_url, as for a path.
  fastify.addHook('onRequest', queryEncodingHook);
  // A known path asked with a method it does not take: 405 with Allow, not the not-found 404.
  fastify.addHook('onRequest', methodNotAllowedHook(fastify));
  // A path no route serves: 404 in the platform's shape, saying where the routes are.
  const notFound = notFoundHooks(fastify);
  fastify.addHook('onRoute', notFound.onRoute);
  fastify.addHook('onRequest', notFound.onRequest);
  // A route that finds nothing to serve (the /docs file server) hands over to the not-found
  // handler, whose preHandler hooks run first.
  fastify.addHook('preHandler', notFound.onRequest);
  fastify.addHook('onResponse', accessLogHook(logger));
  fastify.addHook('onSend', jsonEndsWithNewline);
  if (o.shutdownHooks ?? true) app.enableShutdownHooks();
  await connectBus(app);
  o.beforeListen?.(app);
  await app.listen(o.port, o.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(`${name} listening on ${o.host}:${port}`, name);
  return app;
}
