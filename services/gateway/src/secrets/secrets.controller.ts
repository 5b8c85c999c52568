import { Controller, Delete, HttpCode, HttpStatus, Param, Put } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import {
  MAX_SECRET_VALUE_BYTES,
  secretValueTooLarge,
  RequestSchemas,
  RequestSubjects,
  SecretIdSchema,
} from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { Roles, type Principal } from '../auth/roles.js';
import { openApiSchema } from '../http/openapi-schema.js';
import { SecretIdParam } from '../http/path-params.js';
import { JsonBody } from '../http/body-type.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import { RequestContext } from '../http/request-context.decorator.js';

// No maxLength here: a longer value is a 413 naming the limit, not a 400.
const PutBody = Type.Object(
  {
    value: Type.String({
      minLength: 1,
      description: `at most ${MAX_SECRET_VALUE_BYTES} UTF-8 bytes`,
    }),
  },
  { additionalProperties: false },
);
const ApiSecretPath = () =>
  ApiParam({ name: 'id', description: 'secret id', schema: openApiSchema(SecretIdSchema) });

/**
 * The embedded secret store (owned by the secret broker). With Azure Key Vault configured the
 * broker refuses both routes with 409: secrets are managed in Azure.
 */
@ApiTags('secrets')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/secrets')
export class SecretsController {
  constructor(private readonly bus: BusClient) {}

  @Put(':id')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Store or replace a secret of the embedded store',
    description:
      'Encrypted at rest (AES-256-GCM). The value is never returned, logged or put in an event; the change is recorded as secret.changed with the admin key id.',
  })
  @ApiSecretPath()
  @ApiBody({ schema: PutBody })
  @ApiOkResponse({ schema: openApiSchema(RequestSchemas[RequestSubjects.SecretsPut].reply) })
  put(
    @Param('id', SecretIdParam) id: string,
    @JsonBody(new SchemaPipe(PutBody, 'secret')) body: Static<typeof PutBody>,
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    if (Buffer.byteLength(body.value, 'utf8') > MAX_SECRET_VALUE_BYTES) throw secretValueTooLarge();
    return this.bus.request(
      RequestSubjects.SecretsPut,
      { id, value: body.value, actor: who.keyId },
      { context },
    );
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete a secret of the embedded store',
    description: 'Recorded as secret.changed with the admin key id; 404 when there is none.',
  })
  @ApiSecretPath()
  @ApiOkResponse({ schema: openApiSchema(RequestSchemas[RequestSubjects.SecretsDelete].reply) })
  delete(
    @Param('id', SecretIdParam) id: string,
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(RequestSubjects.SecretsDelete, { id, actor: who.keyId }, { context });
  }
}
