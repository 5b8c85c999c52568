import { EventPattern } from '@nestjs/microservices';
import type { EventSubject } from '@convergio/contracts';

/**
 * Nest's `@EventPattern(subject)` for a bus event (or several), whose handler may also take its BusContext
 * (`@Ctx()`): Nest types an event handler's parameters after the payload as `unknown`, which a
 * `BusContext` parameter does not satisfy.
 */
export function BusEvent(subject: EventSubject | EventSubject[]): MethodDecorator {
  return EventPattern<EventSubject | EventSubject[]>(subject);
}
