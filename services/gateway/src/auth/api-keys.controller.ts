import {
  Body,
  Controller,
  Delete,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import { SchemaPipe } from '../http/schema.pipe.js';
import { ApiKeyService } from './api-key.service.js';
import { ROLES, Roles } from './roles.js';

const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    roles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), {
      minItems: 1,
      uniqueItems: true,
    }),
  },
  { additionalProperties: false },
);

@ApiTags('api-keys')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  /** Creates a key; the key itself is in this response only. */
  @Post()
  @ApiBody({ schema: CreateKeyBody })
  create(
    @Body(new SchemaPipe(CreateKeyBody, 'API key request')) body: Static<typeof CreateKeyBody>,
  ) {
    return this.keys.create(body.name, body.roles);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  revoke(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.keys.revoke(id);
  }
}
