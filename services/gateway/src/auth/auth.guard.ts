import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@convergio/contracts';
import { ApiKeyService } from './api-key.service.js';
import { PUBLIC_KEY } from '@convergio/runtime';
import { ROLES_KEY, type Principal, type Role } from './roles.js';

/** Request with the authenticated caller attached. */
export type AuthedRequest = FastifyRequest & { principal: Principal };

/** What a route's decorators ask of its callers. */
interface RouteAccess {
  public: boolean;
  /** The roles that may call it (admin always may); undefined: any valid key. */
  roles: Role[] | undefined;
}

/** Every route needs a valid Bearer key unless marked @Public; @Roles narrows who may call it. */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Per controller and handler: decorators are fixed once the application is built, so read once. */
  private readonly access = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    private readonly keys: ApiKeyService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.accessOf(context);
    if (access.public) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    if (!match)
      throw new DomainError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
    const principal = await this.keys.authenticate(match[1]);
    const allowed = access.roles;
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

  private accessOf(context: ExecutionContext): RouteAccess {
    const [handler, controller] = [context.getHandler(), context.getClass()];
    let ofController = this.access.get(controller);
    if (!ofController) this.access.set(controller, (ofController = new WeakMap()));
    let access = ofController.get(handler);
    if (!access) {
      const targets = [handler, controller];
      access = {
        public: this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false,
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
      };
      ofController.set(handler, access);
    }
    return access;
  }
}
