import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { metrics, type ObservableResult } from '@opentelemetry/api';
import { TransactionalOutbox } from './transactional-outbox.js';

/** Prometheus name of the gauge of events a service's outbox set aside (label `schema`). */
export const OUTBOX_DEAD_LETTERS_METRIC = 'convergio_outbox_dead_letters';

/**
 * The outbox at /metrics: how many events are set aside (dead-lettered) in the service's outbox
 * table, counted at each scrape, so an alert can fire while any waits for an operator.
 */
@Injectable()
export class OutboxMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(OutboxMetrics.name);
  private readonly deadLetters = metrics
    .getMeter('convergio-outbox')
    .createObservableGauge(OUTBOX_DEAD_LETTERS_METRIC, {
      description:
        'events set aside in the outbox after OUTBOX_MAX_ATTEMPTS failed publishes; no longer retried until an operator replays them (docs/operator-guide.md)',
    });
  private readonly observe = async (result: ObservableResult): Promise<void> => {
    try {
      result.observe(await this.outbox.countDeadLettered(), { schema: this.outbox.schema });
    } catch (error) {
      // No value rather than a wrong one; the scrape itself still answers.
      this.log.warn(`outbox dead letters of ${this.outbox.schema} not counted: ${String(error)}`);
    }
  };

  constructor(@Inject(TransactionalOutbox) private readonly outbox: TransactionalOutbox) {}

  onModuleInit(): void {
    this.deadLetters.addCallback(this.observe);
  }

  onModuleDestroy(): void {
    this.deadLetters.removeCallback(this.observe);
  }
}
