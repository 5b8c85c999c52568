import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import { PublisherSchema, RequestSchemas, RequestSubjects } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { Roles, type Principal } from '../auth/roles.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import { MAX_SUBMIT_WAIT_SECONDS } from './settled-state.js';
import { SubmissionService } from './submission.service.js';

const MAX_MODULE_BYTES = 16 * 1024 * 1024;
// Longer than the executor's largest per-call wall time (60 s), so a slow plugin answers 504, not 503.
const INVOKE_TIMEOUT_MS = 90_000;
const BATCH_TIMEOUT_MS = 300_000;
const InvokeBody = Type.Omit(RequestSchemas[RequestSubjects.ExecutorInvoke].request, ['plugin_id']);
const InvokeBatchBody = Type.Omit(RequestSchemas[RequestSubjects.ExecutorInvokeBatch].request, [
  'plugin_id',
]);
const RevokeBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const OwnerBody = Type.Object({ publisher: PublisherSchema }, { additionalProperties: false });
const TransferReply = RequestSchemas[RequestSubjects.RegistryTransferOwner].reply;
const SubmitQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_SUBMIT_WAIT_SECONDS,
        description:
          'seconds to wait for verification and automatic approval to finish; the answer then carries approved, pending_approval or rejected',
      }),
    ),
  },
  { additionalProperties: false },
);
type Uploaded = { manifest?: { buffer: Buffer }[]; module?: { buffer: Buffer }[] };

@ApiTags('plugins')
@ApiBearerAuth()
@Controller('v1/plugins')
export class PluginsController {
  constructor(
    private readonly submissions: SubmissionService,
    private readonly bus: BusClient,
  ) {}

  @Post()
  @Roles('publisher')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Submit a plugin version',
    description:
      'Answers `submitted` at once; with `?wait=<seconds>` (at most 120) it answers when verification and automatic approval are over: `approved`, `pending_approval` (an admin must decide) or `rejected`.',
  })
  @ApiQuery({
    name: 'wait',
    required: false,
    schema: { type: 'integer', minimum: 0, maximum: MAX_SUBMIT_WAIT_SECONDS },
  })
  @ApiConsumes('multipart/form-data')
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
  @UseInterceptors(
    FileFieldsInterceptor(
      [
        { name: 'manifest', maxCount: 1 },
        { name: 'module', maxCount: 1 },
        { name: 'sbom', maxCount: 1 },
      ],
      {
        limits: { fileSize: MAX_MODULE_BYTES, files: 3, fields: 3 },
      },
    ),
  )
  submit(
    @UploadedFiles() files: Uploaded = {},
    @Body() body: { manifest?: string },
    @Query(new SchemaPipe(SubmitQuery, 'submit query', { coerce: true }))
    query: Static<typeof SubmitQuery>,
    @CurrentPrincipal() who: Principal,
  ) {
    const manifest = files.manifest?.[0]?.buffer ?? body?.manifest;
    return this.submissions.submit(
      { manifest, module: files.module?.[0]?.buffer },
      who,
      query.wait,
    );
  }

  @Get()
  @ApiOperation({
    summary: 'List plugins',
    description:
      'Each with its owner, the version calls run by default (`serving_version`: the highest approved release, null when none) and the version submitted last with its status.',
  })
  @ApiOkResponse({ schema: RequestSchemas[RequestSubjects.RegistryListPlugins].reply })
  list() {
    return this.bus.request(RequestSubjects.RegistryListPlugins, {});
  }

  @Get(':id')
  @ApiOkResponse({ schema: RequestSchemas[RequestSubjects.RegistryGetPlugin].reply })
  get(@Param('id') id: string) {
    return this.bus.request(RequestSubjects.RegistryGetPlugin, { plugin_id: id });
  }

  @Get(':id/versions/:version')
  @ApiOkResponse({ schema: RequestSchemas[RequestSubjects.RegistryGetVersion].reply })
  getVersion(@Param('id') id: string, @Param('version') version: string) {
    return this.bus.request(RequestSubjects.RegistryGetVersion, { plugin_id: id, version });
  }

  @Put(':id/owner')
  @Roles('admin')
  @ApiOperation({
    summary: 'Give a plugin id to another publisher',
    description:
      'Only the owner of an id may submit versions of it. Recorded as plugin.owner_changed.',
  })
  @ApiBody({ schema: OwnerBody })
  @ApiOkResponse({ schema: TransferReply })
  transfer(
    @Param('id') id: string,
    @Body(new SchemaPipe(OwnerBody, 'owner request')) body: Static<typeof OwnerBody>,
    @CurrentPrincipal() who: Principal,
  ) {
    return this.bus.request(RequestSubjects.RegistryTransferOwner, {
      plugin_id: id,
      publisher: body.publisher,
      changed_by: who.keyId,
    });
  }

  @Post(':id/versions/:version/revoke')
  @Roles('admin')
  @HttpCode(HttpStatus.OK)
  @ApiBody({ schema: RevokeBody })
  revoke(
    @Param('id') id: string,
    @Param('version') version: string,
    @Body(new SchemaPipe(RevokeBody, 'revoke request')) body: { reason?: string },
    @CurrentPrincipal() who: Principal,
  ) {
    return this.bus.request(RequestSubjects.RegistryRevokeVersion, {
      plugin_id: id,
      version,
      revoked_by: who.keyId,
      ...body,
    });
  }

  @Post(':id/invoke')
  @Roles('invoker')
  @HttpCode(HttpStatus.OK)
  @ApiBody({ schema: InvokeBody })
  invoke(
    @Param('id') id: string,
    @Body(new SchemaPipe(InvokeBody, 'invoke request')) body: typeof InvokeBody.static,
  ) {
    return this.bus.request(
      RequestSubjects.ExecutorInvoke,
      { ...body, plugin_id: id },
      { timeoutMs: INVOKE_TIMEOUT_MS },
    );
  }

  @Post(':id/invoke-batch')
  @Roles('invoker')
  @HttpCode(HttpStatus.OK)
  @ApiBody({ schema: InvokeBatchBody })
  invokeBatch(
    @Param('id') id: string,
    @Body(new SchemaPipe(InvokeBatchBody, 'invoke-batch request'))
    body: typeof InvokeBatchBody.static,
  ) {
    return this.bus.request(
      RequestSubjects.ExecutorInvokeBatch,
      { ...body, plugin_id: id },
      { timeoutMs: BATCH_TIMEOUT_MS },
    );
  }
}
