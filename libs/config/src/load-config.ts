import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { decimalNumber } from '@convergio/contracts';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { describeExpectation } from './describe-expectation.js';
import { isSecret, SECRET_KEYWORD } from './secret.js';

// ajv-formats ships CJS with `exports.default`; under NodeNext the plugin sits one level down.
const addFormats = addFormatsPlugin.default;

// No coerceTypes: Ajv reads "0x10", "1e3", "Infinity" and " 5" as numbers; readVariable reads
// settings as people write them.
const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true });
addFormats(ajv);
ajv.addKeyword({ keyword: SECRET_KEYWORD, schemaType: 'boolean' });

const validators = new WeakMap<TObject, ValidateFunction>();

/**
 * Reads the variables named by `schema` from `env`, coerces and defaults them,
 * and returns the typed config or throws a `ConfigError` listing every bad variable.
 * A number is read in plain decimal only ("65536", "0.5"; never "0x10", "1e3", "Infinity" or
 * " 5"), a boolean as `true` or `false`.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): Static<S> {
  const config = pickDeclaredVariables(schema, env);
  const validate = validatorFor(schema);
  if (validate(config)) return config;
  throw new ConfigError(toIssues(schema, env, validate.errors ?? []));
}

// Unknown variables are ignored; an empty value counts as unset so `FOO=` in a compose file falls back to the default.
function pickDeclaredVariables(schema: TObject, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = env[name];
    if (value !== undefined && value !== '')
      picked[name] = readVariable(schema.properties[name], value);
  }
  return picked;
}

// Text the schema's type cannot take stays text, for the schema to refuse with its expectation.
function readVariable(schema: TSchema, text: string): unknown {
  const type = (schema as { type?: unknown }).type;
  if (type === 'integer' || type === 'number') return decimalNumber(text, type) ?? text;
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

function validatorFor(schema: TObject): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  return validate;
}

function toIssues(schema: TObject, env: NodeJS.ProcessEnv, errors: ErrorObject[]): ConfigIssue[] {
  const bad = new Set(errors.map(variableOf));
  return Object.keys(schema.properties)
    .filter((name) => bad.has(name))
    .map((variable) => {
      const property: TSchema = schema.properties[variable];
      return {
        variable,
        expected: describeVariable(property),
        received: describeReceived(env[variable], isSecret(property)),
      };
    });
}

function variableOf(error: ErrorObject): string | undefined {
  if (error.keyword === 'required')
    return (error.params as { missingProperty: string }).missingProperty;
  return error.instancePath.split('/')[1];
}

function describeVariable(schema: TSchema): string {
  const description = schema.description;
  const expectation = describeExpectation(schema);
  return description ? `${expectation} — ${description}` : expectation;
}

function describeReceived(value: string | undefined, secret: boolean): string {
  if (value === undefined || value === '') return 'nothing (unset)';
  return secret ? '<redacted>' : JSON.stringify(value);
}
