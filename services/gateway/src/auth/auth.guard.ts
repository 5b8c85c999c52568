import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@convergio/contracts';
import { PUBLIC_KEY } from '@convergio/runtime';
import { RequestAuthentication, type AuthedRequest } from './request-authentication.js';
import {
  CHECKS_ROTATED_OUT_SECRET_KEY,
  PUBLISHER_KEY_HINT,
  PUBLISHER_ONLY_KEY,
  requireCurrentSecret,
  ROLES_KEY,
  type Principal,
  type Role,
} from './roles.js';

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
 * Every route needs a valid Bearer key unless marked @Public (see {@link RequestAuthentication}:
 * 429 for an address out of failed authentications, 401 for a missing, malformed, unknown or
 * revoked key); @Roles narrows who may call it. The principal is attached as soon as the key is
 * known, so a 403 is logged with its key id. A secret a rotation replaced makes no change
 * through an admin route ({@link requireCurrentSecret}).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Per controller and handler: decorators are fixed once the application is built, so read once. */
  private readonly access = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    private readonly authentication: RequestAuthentication,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.accessOf(context);
    if (access.public) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const principal = await this.authentication.principalOf(request);
    if (access.publisherOnly) checkPublisherKey(principal);
    else checkRoles(access.roles, principal);
    if (access.adminOnly && !READS.has(request.method))
      requireCurrentSecret(principal, 'make an admin change');
    return true;
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
