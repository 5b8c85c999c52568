import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthedRequest } from './request-authentication.js';
import type { Principal } from './roles.js';

/** The authenticated caller of the current request. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => {
    return ctx.switchToHttp().getRequest<AuthedRequest>().principal;
  },
);
