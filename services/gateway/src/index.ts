import { ApiKey } from './auth/api-key.entity.js';
import { RetiredKeyHash } from './auth/retired-key-hash.entity.js';
import { GatewayInit1764300000000 } from './migrations/1764300000000-gateway-init.js';
import { GatewayKeyPublisher1764500000000 } from './migrations/1764500000000-gateway-key-publisher.js';
import { GatewayKeyRotation1765100000000 } from './migrations/1765100000000-gateway-key-rotation.js';
import { GatewayKeyIssuer1766300000000 } from './migrations/1766300000000-gateway-key-issuer.js';
import { GatewayOutbox1766400000000 } from './migrations/1766400000000-gateway-outbox.js';
import { GatewayOutboxDeadLetters1766600000000 } from './migrations/1766600000000-gateway-outbox-dead-letters.js';
import { GatewayKeyIssuance1766800000000 } from './migrations/1766800000000-gateway-key-issuance.js';
import { GATEWAY_SCHEMA } from './gateway.schema.js';

export { GatewayModule } from './gateway.module.js';
export { prepareGatewayHttp } from './openapi.js';
export { GatewayEnv } from './config/gateway.config.js';
/** Tables and migrations of the gateway. */
export const gatewayPersistence = {
  schema: GATEWAY_SCHEMA,
  entities: [ApiKey, RetiredKeyHash],
  migrations: [
    GatewayInit1764300000000,
    GatewayKeyPublisher1764500000000,
    GatewayKeyRotation1765100000000,
    GatewayKeyIssuer1766300000000,
    GatewayOutbox1766400000000,
    GatewayOutboxDeadLetters1766600000000,
    GatewayKeyIssuance1766800000000,
  ],
};
