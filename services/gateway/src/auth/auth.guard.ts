import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@convergio/contracts';
import { ApiKeyService } from './api-key.service.js';
import { PUBLIC_KEY } from '@convergio/runtime';
import { ROLES_KEY, type Principal, type Role } from './roles.js';

/** Request with the authenticated caller attached. */
export type AuthedRequest = FastifyRequest & { principal: Principal };

/** Every route needs a valid Bearer key unless marked @Public; @Roles narrows who may call it. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    if (!match)
      throw new DomainError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
    const principal = await this.keys.authenticate(match[1]);
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (
      allowed &&
      !principal.roles.includes('admin') &&
      !allowed.some((r) => principal.roles.includes(r))
    ) {
      throw new DomainError(
        'forbidden',
        `this route needs a key with one of the roles ${[...new Set([...allowed, 'admin'])].join(', ')}; ` +
          `this key has ${principal.roles.join(', ') || 'none'}`,
      );
    }
    request.principal = principal;
    return true;
  }
}
