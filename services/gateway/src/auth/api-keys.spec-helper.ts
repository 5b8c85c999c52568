import { Module } from '@nestjs/common';
import { MessagingModule, outboxProviders } from '@convergio/messaging';
import { GATEWAY_SCHEMA, GATEWAY_SERVICE } from '../gateway.schema.js';
import { ApiKeyRotationService, KEY_ROTATION_SETTINGS } from './api-key-rotation.service.js';
import { ApiKeyService } from './api-key.service.js';
import { KeyRevocations, LocalKeyRevocations } from './key-revocations.js';

/** The gateway's API keys alone (creation, rotation with a one-hour grace, revocation), for a service harness. */
@Module({
  imports: [MessagingModule.forService(GATEWAY_SERVICE)],
  providers: [
    ...outboxProviders(GATEWAY_SCHEMA),
    ApiKeyService,
    ApiKeyRotationService,
    { provide: KeyRevocations, useClass: LocalKeyRevocations },
    { provide: KEY_ROTATION_SETTINGS, useValue: { graceMs: 3_600_000 } },
  ],
})
export class ApiKeysOnly {}
