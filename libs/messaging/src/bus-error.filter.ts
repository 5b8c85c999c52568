import {
  applyDecorators,
  Catch,
  Controller,
  UseFilters,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest's default RPC filter replaces every error by "Internal server error";
 * the bus server needs the original DomainError to pick ack, retry or the reply code.
 */
@Catch()
export class BusErrorFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Marks a class holding @EventPattern / @MessagePattern handlers. Filters are bound
 * here because a hybrid app registers its bus listeners before global filters apply.
 */
export function BusController(): ClassDecorator {
  return applyDecorators(Controller(), UseFilters(BusErrorFilter));
}
