import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ALL_EVENT_SUBJECTS,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusController, BusEvent } from '@convergio/messaging';
import { ChainVerifyService } from '../chain/chain-verify.service.js';
import { AuditQueryService } from '../query/audit-query.service.js';
import { AuditWriter } from './audit-writer.js';

/**
 * Records every event subject of libs/contracts (a subject added there is recorded without a
 * change here) and answers queries and chain checks.
 */
@BusController()
export class AuditHandler {
  constructor(
    private readonly writer: AuditWriter,
    private readonly queries: AuditQueryService,
    private readonly chain: ChainVerifyService,
  ) {}

  @BusEvent([...ALL_EVENT_SUBJECTS])
  record(@Payload() event: EventEnvelope) {
    return this.writer.append(event);
  }

  @MessagePattern(RequestSubjects.AuditQuery)
  query(@Payload() req: RequestEnvelope<'audit.query'>) {
    return this.queries.query(req.data);
  }

  @MessagePattern(RequestSubjects.AuditVerify)
  verify(@Payload() req: RequestEnvelope<'audit.verify'>) {
    return this.chain.verifySegment(req.data);
  }
}
