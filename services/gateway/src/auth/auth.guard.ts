import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@convergio/contracts';
import { ApiKeyService } from './api-key.service.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { PUBLIC_KEY } from '@convergio/runtime';
import {
  CHECKS_ROTATED_OUT_SECRET_KEY,
  PUBLISHER_KEY_HINT,
  PUBLISHER_ONLY_KEY,
  requireCurrentSecret,
  ROLES_KEY,
  type Principal,
  type Role,
} from './roles.js';

/**
 * `Authorization: Bearer <key>`; the scheme's case does not matter (RFC 9110 §11.1), and one or
 * more spaces may follow it.
 */
const BEARER = /^Bearer +(\S+)$/i;

/** Request with the authenticated caller attached. */
export type AuthedRequest = FastifyRequest & { principal: Principal };

/** What a route's decorators ask of its callers. */
interface RouteAccess {
  public: boolean;
  /** The roles that may call it (admin always may, unless publisherOnly); undefined: any valid key. */
  roles: Role[] | undefined;
  /** Only a publisher key naming its publisher may call it (see PublisherOnly). */
  publisherOnly: boolean;
  /** Admins only, and the route does not check a rotated-out secret itself (ChecksRotatedOutSecret). */
  adminOnly: boolean;
}

/** Methods that change nothing: a rotated-out secret may still read through admin routes. */
const READS = new Set(['GET', 'HEAD']);

/**
 * Every route needs a valid Bearer key unless marked @Public; @Roles narrows who may call it. A
 * client address out of failed authentications ({@link AuthFailureLimiter}) is refused 429
 * before its key is looked at; a missing, malformed, unknown or revoked key spends one of them.
 * The principal is attached as soon as the key is known, so a 403 is logged with its key id. A
 * secret a rotation replaced makes no change through an admin route ({@link requireCurrentSecret}).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Per controller and handler: decorators are fixed once the application is built, so read once. */
  private readonly access = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    private readonly keys: ApiKeyService,
    private readonly reflector: Reflector,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.accessOf(context);
    if (access.public) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const address = this.failures.clientAddress(request);
    this.failures.check(address);
    const principal = await this.principalOf(request).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'unauthorized')
        this.failures.fail(address);
      throw error;
    });
    request.principal = principal;
    if (access.publisherOnly) checkPublisherKey(principal);
    else checkRoles(access.roles, principal);
    if (access.adminOnly && !READS.has(request.method))
      requireCurrentSecret(principal, 'make an admin change');
    return true;
  }

  private async principalOf(request: FastifyRequest): Promise<Principal> {
    const key = bearerKey(request);
    if (key === undefined)
      throw new DomainError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
    return this.keys.authenticate(key);
  }

  private accessOf(context: ExecutionContext): RouteAccess {
    const [handler, controller] = [context.getHandler(), context.getClass()];
    let ofController = this.access.get(controller);
    if (!ofController) this.access.set(controller, (ofController = new WeakMap()));
    let access = ofController.get(handler);
    if (!access) {
      const targets = [handler, controller];
      const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
      access = {
        public: this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false,
        roles,
        publisherOnly:
          this.reflector.getAllAndOverride<boolean>(PUBLISHER_ONLY_KEY, targets) ?? false,
        adminOnly:
          roles?.length === 1 &&
          roles[0] === 'admin' &&
          !this.reflector.getAllAndOverride<boolean>(CHECKS_ROTATED_OUT_SECRET_KEY, targets),
      };
      ofController.set(handler, access);
    }
    return access;
  }
}

/** The API key a request came with (`Authorization: Bearer <key>`), if any. */
export function bearerKey(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

const rolesOf = (p: Principal) => p.roles.join(', ') || 'none';

/** A key with one of `allowed` (or admin) passes; the refusal lists every role that would. */
function checkRoles(allowed: Role[] | undefined, principal: Principal): void {
  if (!allowed || principal.roles.includes('admin')) return;
  if (allowed.some((r) => principal.roles.includes(r))) return;
  throw new DomainError(
    'forbidden',
    `this route needs a key with one of the roles ${[...new Set([...allowed, 'admin'])].join(', ')}; ` +
      `this key has ${rolesOf(principal)}`,
  );
}

/** Only a publisher key that names its publisher passes; admin alone does not. */
function checkPublisherKey(principal: Principal): void {
  if (principal.roles.includes('publisher') && principal.publisher) return;
  const why = principal.roles.includes('publisher')
    ? `key ${principal.keyId} has the role publisher but belongs to no publisher (keys created before plugin ids had owners)`
    : `this key has ${rolesOf(principal)}`;
  throw new DomainError(
    'forbidden',
    `this route needs a key with the role publisher that names its publisher (admin keys do not pass: ` +
      `a plugin is submitted for a publisher); ${why}; ${PUBLISHER_KEY_HINT}`,
  );
}
