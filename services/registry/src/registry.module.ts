import { Module } from '@nestjs/common';
import { MessagingModule } from '@convergio/messaging';
import { RegistryHandler } from './plugins/registry.handler.js';
import { RegistryService } from './plugins/registry.service.js';
import { REGISTRY_SERVICE } from './registry.schema.js';

/** The registry's features, the same in standalone and distributed mode. */
@Module({
  imports: [MessagingModule.forService(REGISTRY_SERVICE)],
  controllers: [RegistryHandler],
  providers: [RegistryService],
})
export class RegistryModule {}
