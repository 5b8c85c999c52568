import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { DomainError } from '@convergio/contracts';
import { hasBody } from '../http/body-type.js';
import { ApiKeyService } from './api-key.service.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import type { Principal } from './roles.js';

/**
 * `Authorization: Bearer <key>`; the scheme's case does not matter (RFC 9110 §11.1), and one or
 * more spaces may follow it.
 */
const BEARER = /^Bearer +(\S+)$/i;

/** Request with the authenticated caller attached. */
export type AuthedRequest = FastifyRequest & { principal: Principal };

/**
 * Who a request's API key belongs to. A client address out of failed authentications
 * ({@link AuthFailureLimiter}) is refused 429 `rate_limited` before its key is looked at; a
 * missing, malformed, unknown or revoked key spends one of them and is refused 401
 * `unauthorized`. The principal is attached to the request (`request.principal`) as soon as it
 * is known, and a request is looked up once: before its body is read when it has one
 * ({@link authenticateBeforeBody}), else by the AuthGuard.
 */
@Injectable()
export class RequestAuthentication {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly failures: AuthFailureLimiter,
  ) {}

  /**
   * The principal of `request`, attached to it.
   * @throws DomainError `rate_limited` (with a retry delay) or `unauthorized`.
   */
  async principalOf(request: FastifyRequest): Promise<Principal> {
    const authed = request as AuthedRequest;
    if (authed.principal) return authed.principal;
    const address = this.failures.clientAddress(request);
    this.failures.check(address);
    const key = bearerKey(request);
    try {
      if (key === undefined)
        throw new DomainError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
      authed.principal = await this.keys.authenticate(key);
      return authed.principal;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'unauthorized')
        this.failures.fail(address);
      throw error;
    }
  }
}

/** The API key a request came with (`Authorization: Bearer <key>`), if any. */
export function bearerKey(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

/**
 * Fastify `preParsing` hook, after refuseOtherBodies: a request with a body is authenticated
 * before the body is read, so a client without a valid key cannot make the gateway read and
 * parse up to GATEWAY_MAX_INVOKE_BYTES only to answer 401 (its connection is then closed unless
 * the body ends soon after: closeUnlessBodyEnds). A client that sent `Expect: 100-continue` is
 * asked for its body only here, once its key passed (see {@link continueOnlyWhenAsked}). Only
 * routes that take a body get here with one (refuseOtherBodies refuses the others), and none of
 * them is public. Unknown routes are left to their 404.
 */
export function authenticateBeforeBody(authentication: RequestAuthentication) {
  return async (
    request: FastifyRequest,
    reply: FastifyReply,
    payload: RequestPayload,
  ): Promise<RequestPayload> => {
    if (request.is404 || !hasBody(request)) return payload;
    await authentication.principalOf(request);
    if (expectingContinue.has(request.raw)) reply.raw.writeContinue();
    return payload;
  };
}

/**
 * Node answers `Expect: 100-continue` with `100 Continue` as soon as the headers arrive, unless
 * the server listens for 'checkContinue': the gateway does, and serves such a request as any
 * other, so the client is asked for its body only once its key passed (authenticateBeforeBody).
 * A client refused sends no body at all (RFC 9110 §10.1.1).
 */
export function continueOnlyWhenAsked(server: Server): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    expectingContinue.add(request);
    server.emit('request', request, response);
  });
}

/** Requests whose `Expect` asks for 100 Continue, as Node reads the header ('checkContinue'). */
const expectingContinue = new WeakSet<IncomingMessage>();
