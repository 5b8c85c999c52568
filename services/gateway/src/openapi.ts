import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { GATEWAY_LIMITS, type GatewayLimits } from './config/gateway.config.js';
import { parseJsonWithinLimits } from './http/json-body.js';

/**
 * Readies the gateway's HTTP side before the application listens: JSON bodies parsed within its
 * limits, and the OpenAPI description generated from the controllers at /docs (JSON at
 * /docs-json).
 */
export function prepareGatewayHttp(app: INestApplication): void {
  parseJsonWithinLimits(app as NestExpressApplication, app.get<GatewayLimits>(GATEWAY_LIMITS));
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
