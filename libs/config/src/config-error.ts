/** One invalid or missing environment variable. `received` is already redacted for secrets. */
export interface ConfigIssue {
  readonly variable: string;
  readonly expected: string;
  readonly received: string;
}

/** Thrown at boot when the environment does not match the service's schema; lists every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      [
        `Invalid configuration (${issues.length} variable${issues.length === 1 ? '' : 's'}):`,
        ...issues.map((i) => `  ${i.variable}: expected ${i.expected}; got ${i.received}`),
      ].join('\n'),
    );
  }
}
