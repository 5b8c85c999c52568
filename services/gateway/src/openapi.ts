import multipart from '@fastify/multipart';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { traceContextHook } from '@convergio/observability';
import { GATEWAY_LIMITS, type GatewayLimits } from './config/gateway.config.js';
import {
  authenticateBeforeBody,
  continueOnlyWhenAsked,
  RequestAuthentication,
} from './auth/request-authentication.js';
import { refuseOtherBodies } from './http/body-type.js';
import { parseJsonWithinLimits } from './http/json-body.js';

/**
 * Readies the gateway's HTTP side before the application listens: its bodies
 * ({@link prepareGatewayBodies}), authenticated before they are read (authenticateBeforeBody),
 * every request in the caller's trace (or a new one), and the OpenAPI description generated from
 * the controllers at /docs (JSON at /docs-json).
 */
export function prepareGatewayHttp(app: NestFastifyApplication): void {
  prepareGatewayBodies(app);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('preParsing', authenticateBeforeBody(app.get(RequestAuthentication)));
  continueOnlyWhenAsked(fastify.server);
  fastify.addHook('preHandler', traceContextHook);
  const config = new DocumentBuilder()
    .setTitle('Convergio plugin platform')
    .setDescription(
      'Submit, review, run and audit WebAssembly plugins. Errors are {"error": {code, message, details}}.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config));
}

/**
 * The gateway's bodies: JSON parsed within its limits, bodies a route does not take refused
 * before they are read (400 for a route that takes none, 415 for another type or one that cannot
 * be read as sent), multipart bodies readable by the submit route.
 */
export function prepareGatewayBodies(app: NestFastifyApplication): void {
  parseJsonWithinLimits(app, app.get<GatewayLimits>(GATEWAY_LIMITS));
  app.getHttpAdapter().getInstance().addHook('preParsing', refuseOtherBodies);
  void app.register(multipart);
}
