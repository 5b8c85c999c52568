import { hostname } from 'node:os';
import type { OnApplicationBootstrap, Provider } from '@nestjs/common';
import { EventSubjects } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import type { PlatformGrants } from './platform-grants.js';

/**
 * Publishes `policy.loaded` (service, instance, policy file and its SHA-256) once the service
 * has started: the policy is read only at boot, so each start is a (re)load the audit log keeps,
 * and an operator can tell which policy every replica ran under. A failed publish fails the start.
 */
class PolicyLoadedAnnouncer implements OnApplicationBootstrap {
  constructor(
    private readonly bus: BusClient,
    private readonly service: string,
    private readonly grants: PlatformGrants,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.publish(EventSubjects.PolicyLoaded, {
      service: this.service,
      instance: `${hostname()}:${process.pid}`,
      file: this.grants.policySource.file,
      sha256: this.grants.policySource.sha256,
    });
  }
}

/** The provider that announces, at each start of `service`, the grant policy it loaded. */
export function policyLoadedProvider(service: string, grants: PlatformGrants): Provider {
  return {
    provide: PolicyLoadedAnnouncer,
    inject: [BusClient],
    useFactory: (bus: BusClient) => new PolicyLoadedAnnouncer(bus, service, grants),
  };
}
