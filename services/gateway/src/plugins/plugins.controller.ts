import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import {
  PublisherSchema,
  RequestSchemas,
  RequestSubjects,
  SignerIdSchema,
} from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { ClientGone } from '../http/client-gone.js';
import { PublisherOnly, Roles, type Principal } from '../auth/roles.js';
import { JsonBody, TakesBody } from '../http/body-type.js';
import { openApiSchema } from '../http/openapi-schema.js';
import { ApiPageQuery, pagedListDescription, pageQuery } from '../http/page-query.js';
import { ApiPluginPath, PluginIdParam, VersionParam } from '../http/path-params.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import { ExecutorTimeouts } from './executor-timeouts.js';
import { MAX_WAIT_SECONDS, waitQuery } from './settled-state.js';
import {
  SUBMISSION_FORM,
  SUBMISSION_MEDIA_TYPE,
  SubmissionUpload,
  SubmittedParts,
} from './submission-upload.js';
import { SubmissionService, type SubmissionParts } from './submission.service.js';
import { RequestContext } from '../http/request-context.decorator.js';
const InvokeBody = Type.Omit(RequestSchemas[RequestSubjects.ExecutorInvoke].request, ['plugin_id']);
const InvokeBatchBody = Type.Omit(RequestSchemas[RequestSubjects.ExecutorInvokeBatch].request, [
  'plugin_id',
]);
const RevokeBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const OwnerBody = Type.Object({ publisher: PublisherSchema }, { additionalProperties: false });
const SignerBody = Type.Object(
  { signer_id: Type.Union([SignerIdSchema, Type.Null()]) },
  { additionalProperties: false },
);
const TransferReply = openApiSchema(RequestSchemas[RequestSubjects.RegistryTransferOwner].reply);
const VersionReply = openApiSchema(RequestSchemas[RequestSubjects.RegistryGetVersion].reply);
const ListQuery = pageQuery({});
const SubmitQuery = waitQuery(
  'seconds to wait for the outcome: approved and loaded, approved but not loaded (its load failed, or operator policy refuses it), pending_approval or rejected',
);

@ApiTags('plugins')
@ApiBearerAuth()
@Controller('v1/plugins')
export class PluginsController {
  constructor(
    private readonly submissions: SubmissionService,
    private readonly bus: BusClient,
    private readonly timeouts: ExecutorTimeouts,
  ) {}

  @Post()
  @PublisherOnly()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Submit a plugin version',
    description:
      'Answers `submitted` at once. With `?wait=<seconds>` (at most 120) it answers as soon as the outcome is known, with `status` and `loaded`, `load_failure`, `policy_violations`, `findings` (what verification found) and `settled`: `approved` and `loaded: true` (a call made next runs it); `approved` and `loaded: false` with `load_failure` (why the executor could not load it, e.g. reason `trap`) or `policy_violations`; `pending_approval` (an admin must decide) or `rejected` (`findings` says why). `settled: false` when the wait ran out first. The wait stops when the client disconnects.',
  })
  @ApiQuery({
    name: 'wait',
    required: false,
    schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS },
  })
  @ApiConsumes(SUBMISSION_MEDIA_TYPE)
  @ApiUnsupportedMediaTypeResponse({ description: `anything but ${SUBMISSION_FORM}` })
  @ApiPayloadTooLargeResponse({
    description:
      'a part over its limit: GATEWAY_MAX_MANIFEST_BYTES, GATEWAY_MAX_MODULE_BYTES or GATEWAY_MAX_SBOM_BYTES',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['manifest', 'module'],
      properties: {
        manifest: { type: 'string', format: 'binary' },
        module: { type: 'string', format: 'binary' },
        sbom: { type: 'string', format: 'binary' },
      },
    },
  })
  @TakesBody(SUBMISSION_MEDIA_TYPE, SUBMISSION_FORM)
  @UseInterceptors(SubmissionUpload)
  submit(
    @SubmittedParts() parts: SubmissionParts,
    @Query(new SchemaPipe(SubmitQuery, 'submit query', { coerce: true }))
    query: Static<typeof SubmitQuery>,
    @CurrentPrincipal() who: Principal,
    @ClientGone() gone: AbortSignal,
    @RequestContext() context: MessageContext,
  ) {
    return this.submissions.submit(parts, who, query.wait, gone, context);
  }

  @Get()
  @ApiOperation({
    summary: 'List plugins',
    description: pagedListDescription(
      'By plugin id, each with its owner, the version calls run by default (`serving_version`: the highest approved release, null when none) and the version submitted last with its status.',
      'plugins',
    ),
  })
  @ApiPageQuery(ListQuery)
  @ApiOkResponse({
    schema: openApiSchema(RequestSchemas[RequestSubjects.RegistryListPlugins].reply),
  })
  list(
    @Query(new SchemaPipe(ListQuery, 'plugins query', { coerce: true }))
    q: Static<typeof ListQuery>,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(RequestSubjects.RegistryListPlugins, q, { context });
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Show a plugin and its versions',
    description: pagedListDescription(
      'The plugin, its owner, the version calls run by default (`serving_version`) and its versions, newest first.',
      'versions',
    ),
  })
  @ApiPluginPath()
  @ApiPageQuery(ListQuery)
  @ApiOkResponse({ schema: openApiSchema(RequestSchemas[RequestSubjects.RegistryGetPlugin].reply) })
  get(
    @Param('id', PluginIdParam) id: string,
    @Query(new SchemaPipe(ListQuery, 'versions query', { coerce: true }))
    q: Static<typeof ListQuery>,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.RegistryGetPlugin,
      { plugin_id: id, ...q },
      { context },
    );
  }

  @Get(':id/versions/:version')
  @ApiPluginPath({ version: true })
  @ApiOkResponse({ schema: VersionReply })
  getVersion(
    @Param('id', PluginIdParam) id: string,
    @Param('version', VersionParam) version: string,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.RegistryGetVersion,
      { plugin_id: id, version },
      { context },
    );
  }

  @Put(':id/owner')
  @Roles('admin')
  @ApiOperation({
    summary: 'Give a plugin id to another publisher',
    description:
      'Only the owner of an id may submit versions of it. Recorded as plugin.owner_changed.',
  })
  @ApiPluginPath()
  @ApiBody({ schema: OwnerBody })
  @ApiOkResponse({ schema: TransferReply })
  transfer(
    @Param('id', PluginIdParam) id: string,
    @JsonBody(new SchemaPipe(OwnerBody, 'owner request')) body: Static<typeof OwnerBody>,
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.RegistryTransferOwner,
      { plugin_id: id, publisher: body.publisher, changed_by: who.keyId },
      { context },
    );
  }

  @Put(':id/signer')
  @Roles('admin')
  @ApiOperation({
    summary: "Accept another signer for a plugin id's next versions",
    description:
      'Key continuity: once a signed version is approved, later versions must be signed by the same signer (signer_changed otherwise). `null` accepts unsigned versions. Recorded as plugin.signer_changed.',
  })
  @ApiPluginPath()
  @ApiBody({ schema: SignerBody })
  changeSigner(
    @Param('id', PluginIdParam) id: string,
    @JsonBody(new SchemaPipe(SignerBody, 'signer request')) body: Static<typeof SignerBody>,
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.VerificationSetPluginSigner,
      { plugin_id: id, signer_id: body.signer_id, changed_by: who.keyId },
      { context },
    );
  }

  @Post(':id/versions/:version/revoke')
  @Roles('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Revoke a version',
    description: 'Unloaded everywhere, further calls refused; answers the revoked state.',
  })
  @ApiPluginPath({ version: true })
  @ApiBody({ schema: RevokeBody })
  @ApiOkResponse({ schema: VersionReply })
  revoke(
    @Param('id', PluginIdParam) id: string,
    @Param('version', VersionParam) version: string,
    @JsonBody(new SchemaPipe(RevokeBody, 'revoke request')) body: { reason?: string },
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.RegistryRevokeVersion,
      { plugin_id: id, version, revoked_by: who.keyId, ...body },
      { context },
    );
  }

  @Post(':id/invoke')
  @Roles('invoker')
  @HttpCode(HttpStatus.OK)
  @ApiPluginPath()
  @ApiBody({ schema: InvokeBody })
  @ApiPayloadTooLargeResponse({ description: 'a body over GATEWAY_MAX_INVOKE_BYTES' })
  async invoke(
    @Param('id', PluginIdParam) id: string,
    @JsonBody(new SchemaPipe(InvokeBody, 'invoke request', { anyText: true }))
    body: typeof InvokeBody.static,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.ExecutorInvoke,
      { ...body, plugin_id: id },
      // The pipes checked the body and the id against this very schema.
      { context, timeoutMs: await this.timeouts.invokeMs(), checked: true },
    );
  }

  @Post(':id/invoke-batch')
  @Roles('invoker')
  @HttpCode(HttpStatus.OK)
  @ApiPluginPath()
  @ApiBody({ schema: InvokeBatchBody })
  @ApiPayloadTooLargeResponse({ description: 'a body over GATEWAY_MAX_INVOKE_BYTES' })
  async invokeBatch(
    @Param('id', PluginIdParam) id: string,
    @JsonBody(new SchemaPipe(InvokeBatchBody, 'invoke-batch request', { anyText: true }))
    body: typeof InvokeBatchBody.static,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.ExecutorInvokeBatch,
      { ...body, plugin_id: id },
      { context, timeoutMs: await this.timeouts.batchMs(body.calls.length), checked: true },
    );
  }
}
