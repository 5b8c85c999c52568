export { ConfigError, type ConfigIssue } from './config-error.js';
export { describeConfig } from './describe-config.js';
export { loadConfig } from './load-config.js';
export { provideConfig } from './provide-config.js';
export { isSecret, Secret, SECRET_KEYWORD } from './secret.js';
