import type { ErrorObject } from 'ajv';
import type { ErrorDetail } from './error-codes.js';

/**
 * Ajv errors as stable details: one entry per problem, with a JSON pointer path. A module of its
 * own (`@convergio/contracts/error-details`) so that plugin workers, which check tool input
 * with it, do not load every contract.
 */
export function toDetails(errors: ErrorObject[]): ErrorDetail[] {
  return errors.map((e) => {
    const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
    const extra =
      e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : '';
    return {
      code: `schema.${e.keyword}`,
      message: e.message ?? 'invalid',
      path: `${e.instancePath}${missing}${extra}` || '/',
    };
  });
}
