import { ExitCode } from '../exit-codes.js';
import { gatewayRefusal } from './gateway-refusal.js';

const apiError = (code: string, details: unknown[] = []) => ({
  error: { code, message: `${code} happened`, details },
});

describe('gatewayRefusal: what a script and a person see for a gateway error', () => {
  it.each([
    [401, 'unauthorized', ExitCode.refused, /CONVERGIO_API_KEY/],
    [403, 'forbidden', ExitCode.refused, /role/],
    [403, 'not_owner', ExitCode.refused, /another publisher/],
    [404, 'not_found', ExitCode.refused, /convergio status/],
    [409, 'version_exists', ExitCode.refused, /raise "version"/],
    [409, 'invalid_state', ExitCode.refused, /convergio status/],
    [422, 'plugin_failed', ExitCode.refused, /convergio audit/],
    [503, 'unavailable', ExitCode.unreachable, /retry/],
    [504, 'plugin_timeout', ExitCode.unreachable, /wall time/],
    [500, 'internal', ExitCode.unreachable, /operator/],
  ])('HTTP %i %s exits %i with a hint', (status, code, exit, hint) => {
    const error = gatewayRefusal(status, apiError(code), '');
    expect(error).toMatchObject({ exit, code, message: `${code} happened` });
    expect(error.hint).toMatch(hint);
  });

  it('keeps the details the gateway listed, dropping malformed ones', () => {
    const error = gatewayRefusal(
      400,
      apiError('validation_failed', [
        { code: 'schema.required', message: "must have property 'id'", path: '' },
        { nonsense: true },
        'text',
      ]),
      '',
    );
    expect(error.details).toEqual([
      { code: 'schema.required', message: "must have property 'id'", path: '' },
    ]);
  });

  it('an answer that is not the API error shape is http_<status>, suggesting --url is wrong', () => {
    const error = gatewayRefusal(404, undefined, '<html>Cannot GET</html>');
    expect(error).toMatchObject({ exit: ExitCode.unreachable, code: 'http_404' });
    expect(error.message).toContain('<html>Cannot GET</html>');
    expect(error.hint).toMatch(/--url/);
  });

  it('an unknown code still passes through, without a hint', () => {
    expect(gatewayRefusal(418, apiError('teapot'), '')).toMatchObject({
      code: 'teapot',
      hint: undefined,
    });
  });
});
