import { Type } from '@sinclair/typebox';

/** Levels a service logs at, most severe first; each includes the ones before it. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Logging variables every service reads. */
export const LoggingEnv = {
  LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((l) => Type.Literal(l)),
    { default: 'info', description: 'least severe level written: error, warn, info or debug' },
  ),
  LOG_FORMAT: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('text')], {
    default: 'auto',
    description:
      'json (one JSON object per line), text (for people), or auto: text when stdout is a terminal, json otherwise',
  }),
};

/** How a service logs, as read from {@link LoggingEnv}. */
export interface LogSettings {
  LOG_LEVEL: LogLevel;
  LOG_FORMAT: 'auto' | 'json' | 'text';
}
