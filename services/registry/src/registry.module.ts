import { Module } from '@nestjs/common';
import { MessagingModule, outboxProviders } from '@convergio/messaging';
import { ArtifactCollector } from './plugins/artifact-collector.js';
import { RegistryHandler } from './plugins/registry.handler.js';
import { OwnershipService } from './plugins/ownership.service.js';
import { RegistryService } from './plugins/registry.service.js';
import { SubmissionService } from './plugins/submission.service.js';
import { REGISTRY_SCHEMA, REGISTRY_SERVICE } from './registry.schema.js';

/** The registry's features, the same in standalone and distributed mode. */
@Module({
  imports: [MessagingModule.forService(REGISTRY_SERVICE)],
  controllers: [RegistryHandler],
  providers: [
    RegistryService,
    SubmissionService,
    OwnershipService,
    ArtifactCollector,
    ...outboxProviders(REGISTRY_SCHEMA),
  ],
})
export class RegistryModule {}
