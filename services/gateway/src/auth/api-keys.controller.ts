import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import { NextCursorSchema, PUBLISHER_PATTERN } from '@convergio/contracts';
import { ApiPageQuery, pagedListDescription, pageQuery } from '../http/page-query.js';
import { ApiKeyIdParam, ApiKeyPath } from '../http/path-params.js';
import { JsonBody } from '../http/body-type.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import { ApiKeyRotationService } from './api-key-rotation.service.js';
import { ApiKeyService } from './api-key.service.js';
import { CurrentPrincipal } from './principal.decorator.js';
import {
  ChecksRotatedOutSecret,
  requireCurrentSecret,
  ROLES,
  Roles,
  type Principal,
} from './roles.js';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }),
    publisher: Type.Optional(
      Type.String({
        pattern: PUBLISHER_PATTERN,
        description:
          'required with the publisher role, refused without it: the publisher the key submits for, which owns the plugin ids it submits first',
      }),
    ),
  },
  { additionalProperties: false },
);
const KeySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  roles: Type.Array(RoleSchema),
  publisher: Type.Union([Type.String(), Type.Null()]),
  issued_by: Type.Union([Type.String(), Type.Null()], {
    description:
      'who issued the current secret: the key id that created or last rotated it, `gateway` for the bootstrap admin key, null when unknown (keys from before it was kept); that key may not approve what this key submits',
  }),
  created_at: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});
const KeyListSchema = Type.Object({ keys: Type.Array(KeySchema), next_cursor: NextCursorSchema });
const ListQuery = pageQuery({});

@ApiTags('api-keys')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly rotation: ApiKeyRotationService,
  ) {}

  /** Creates a key; the key itself is in this response only. */
  @Post()
  @ApiOperation({
    summary: 'Create an API key',
    description:
      "The key is in this response only. A key with the publisher role needs `publisher`; only such keys may submit plugins. Only an admin key's current secret creates keys (403 `secret_rotated_out` for a secret a rotation replaced).",
  })
  @ApiBody({ schema: CreateKeyBody })
  create(
    @JsonBody(new SchemaPipe(CreateKeyBody, 'API key request')) body: Static<typeof CreateKeyBody>,
    @CurrentPrincipal() who: Principal,
  ) {
    return this.keys.create(body, who.keyId);
  }

  /** Every key with its roles and publisher; never the key itself. */
  @Get()
  @ApiOperation({
    summary: 'List API keys (never the keys themselves)',
    description: pagedListDescription('Oldest first, revoked keys included.', 'keys'),
  })
  @ApiPageQuery(ListQuery)
  @ApiOkResponse({ schema: KeyListSchema })
  list(
    @Query(new SchemaPipe(ListQuery, 'API keys query', { coerce: true }))
    q: Static<typeof ListQuery>,
  ) {
    return this.keys.list(q);
  }

  /** Revokes a key at once; answers the key as it now is, with `revoked_at`. */
  @Delete(':id')
  @ApiOperation({
    summary: 'Revoke an API key',
    description:
      'Answers the revoked key (never the key itself); 409 if it was already revoked. A secret a rotation replaced revokes only its own key (403 `secret_rotated_out` for another).',
  })
  @ApiKeyPath()
  @ApiOkResponse({ schema: KeySchema })
  @ChecksRotatedOutSecret()
  revoke(@Param('id', ApiKeyIdParam) id: string, @CurrentPrincipal() who: Principal) {
    // Revoking its own key only takes power away: whoever holds a secret of a key that someone
    // else rotated first can still end it.
    if (id !== who.keyId) requireCurrentSecret(who, 'revoke another key');
    return this.keys.revoke(id, who.keyId);
  }

  /** Gives a key a new secret; the old one is accepted until `previous_valid_until`. */
  @Post(':id/rotate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Rotate an API key without downtime',
    description:
      'Answers a new secret (in this response only) for the same key id, roles and publisher. The old secret stays valid for calls until `previous_valid_until` (API_KEY_ROTATION_GRACE_SECONDS), then is refused; it can never be issued again, and it makes no admin change but revoking its own key (403 `secret_rotated_out`; a rotation so refused is recorded as api_key.rotation_refused). An admin key is rotated only by itself (403 `rotate_other_admin_key`, recorded as api_key.rotation_refused: revoke it instead). 404 for an unknown key, 409 for a revoked one.',
  })
  @ApiKeyPath()
  @ChecksRotatedOutSecret()
  rotate(@Param('id', ApiKeyIdParam) id: string, @CurrentPrincipal() who: Principal) {
    return this.rotation.rotate(id, who);
  }
}
