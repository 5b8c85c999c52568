import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { messageContext, type MessageContext } from '@convergio/messaging';
import { requestTrace } from '@convergio/observability';

/**
 * The MessageContext of the current HTTP request, for what it sends on the bus: its trace (the
 * caller's traceparent or a new one), no correlation id (each request envelope starts one).
 */
export const RequestContext = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): MessageContext =>
    messageContext(undefined, requestTrace(ctx.switchToHttp().getRequest<FastifyRequest>().raw)),
);
