import { applyDecorators, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { Type, type TSchema } from '@sinclair/typebox';
import {
  compileChecker,
  DomainError,
  PluginIdSchema,
  SecretIdSchema,
  SignerIdSchema,
  VersionSchema,
} from '@convergio/contracts';
import { openApiSchema } from './openapi-schema.js';
import { canonicalUuid } from './uuid.js';

const SHOWN_CHARS = 80;

/**
 * Checks one path parameter against the schema the contracts give it, so nothing unchecked is
 * forwarded; the 400 names the field as users know it ("plugin id"), shows the value and says
 * what is allowed.
 */
class PathParam implements PipeTransform<unknown, string> {
  private readonly check: (value: unknown) => string;

  /** `canonical` gives the one spelling of a value the schema accepts in several. */
  constructor(
    private readonly field: string,
    private readonly schema: TSchema,
    private readonly canonical: (value: string) => string = (value) => value,
  ) {
    this.check = compileChecker<string>(schema, field);
  }

  transform(value: unknown): string {
    try {
      return this.canonical(this.check(value));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const shown = JSON.stringify(String(value).slice(0, SHOWN_CHARS));
      throw new DomainError(
        'validation_failed',
        `invalid ${this.field} ${shown} in the path: expected ${String(this.schema.description)}`,
        error.details.map(({ code, message }) => ({ code, message })),
      );
    }
  }
}

/** The `{id}` of plugin routes. */
export const PluginIdParam = new PathParam('plugin id', PluginIdSchema);
/** The `{version}` of plugin routes. */
export const VersionParam = new PathParam('version', VersionSchema);
const ApiKeyIdSchema = Type.String({
  format: 'uuid',
  description: 'a UUID, the id returned when the key was created',
});
/** The `{id}` of keyring routes. */
export const SignerIdParam = new PathParam('signer id', SignerIdSchema);
/** The `{id}` of secret routes. */
export const SecretIdParam = new PathParam('secret id', SecretIdSchema);
/**
 * The `{id}` of API key routes, in lower case and without the `urn:uuid:` prefix the `uuid`
 * format admits (RFC 9562 §4): the key's id is one string wherever it is compared (cache,
 * events, approvals withdrawn), and one PostgreSQL reads (it refused the URN with a 500).
 */
export const ApiKeyIdParam = new PathParam(
  'API key id',
  ApiKeyIdSchema,
  (id) => canonicalUuid(id) ?? id,
);

/** OpenAPI for routes under `{id}` (a plugin id) and, with `version`, `{version}`. */
export const ApiPluginPath = (options: { version?: boolean } = {}) =>
  applyDecorators(
    ApiParam({ name: 'id', description: 'plugin id', schema: openApiSchema(PluginIdSchema) }),
    ...(options.version
      ? [ApiParam({ name: 'version', schema: openApiSchema(VersionSchema) })]
      : []),
  );

/** OpenAPI for routes under `{id}` (an API key id). */
export const ApiKeyPath = () =>
  ApiParam({ name: 'id', description: 'API key id', schema: openApiSchema(ApiKeyIdSchema) });
