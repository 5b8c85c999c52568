import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
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
  PublicKeySchema,
  RequestSchemas,
  RequestSubjects,
  SignerIdSchema,
  SignerTrustSchema,
} from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { Roles, type Principal } from '../auth/roles.js';
import { openApiSchema } from '../http/openapi-schema.js';
import { ApiPageQuery, pagedListDescription, pageQuery } from '../http/page-query.js';
import { SignerIdParam } from '../http/path-params.js';
import { JsonBody } from '../http/body-type.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import { RequestContext } from '../http/request-context.decorator.js';

const AddBody = Type.Object(
  { id: SignerIdSchema, public_key: PublicKeySchema, trust: SignerTrustSchema },
  { additionalProperties: false },
);
const RotateBody = Type.Object({ public_key: PublicKeySchema }, { additionalProperties: false });
const ListQuery = pageQuery({});
const SignerReply = openApiSchema(RequestSchemas[RequestSubjects.VerificationAddSigner].reply);
const ApiSignerPath = () =>
  ApiParam({ name: 'id', description: 'signer id', schema: openApiSchema(SignerIdSchema) });

/** The keyring (owned by verification): signers whose signatures make plugins trustable. */
@ApiTags('signers')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/signers')
export class SignersController {
  constructor(private readonly bus: BusClient) {}

  @Post()
  @ApiOperation({
    summary: 'Add a signer to the keyring',
    description:
      'Its Ed25519 public key (32 bytes, unpadded base64url) is refused when small-order or not canonical. Recorded as signer.added.',
  })
  @ApiBody({ schema: AddBody })
  @ApiOkResponse({ schema: SignerReply })
  add(
    @JsonBody(new SchemaPipe(AddBody, 'signer')) body: Static<typeof AddBody>,
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.VerificationAddSigner,
      { ...body, added_by: who.keyId },
      { context },
    );
  }

  @Get()
  @ApiOperation({
    summary: 'List the keyring: every signer with every key it has had',
    description: pagedListDescription('By signer id.', 'signers'),
  })
  @ApiPageQuery(ListQuery)
  @ApiOkResponse({
    schema: openApiSchema(RequestSchemas[RequestSubjects.VerificationListSigners].reply),
  })
  list(
    @Query(new SchemaPipe(ListQuery, 'signers query', { coerce: true }))
    q: Static<typeof ListQuery>,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(RequestSubjects.VerificationListSigners, q, { context });
  }

  @Post(':id/rotate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "Rotate a signer's key",
    description:
      'The new key signs from now on; the old one stays valid for what it signed before. Recorded as signer.rotated.',
  })
  @ApiSignerPath()
  @ApiBody({ schema: RotateBody })
  @ApiOkResponse({ schema: SignerReply })
  rotate(
    @Param('id', SignerIdParam) id: string,
    @JsonBody(new SchemaPipe(RotateBody, 'rotation')) body: Static<typeof RotateBody>,
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.VerificationRotateSigner,
      { id, public_key: body.public_key, rotated_by: who.keyId },
      { context },
    );
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Revoke a signer',
    description:
      'Every later submission it signs is rejected (signer_revoked) and every version it signed is revoked and unloaded. Recorded as signer.revoked.',
  })
  @ApiSignerPath()
  revoke(
    @Param('id', SignerIdParam) id: string,
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.VerificationRevokeSigner,
      { id, revoked_by: who.keyId },
      { context },
    );
  }
}
