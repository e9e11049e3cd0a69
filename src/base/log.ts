import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * JSON lines on stdout (pino). Disabled levels cost one comparison per call, set once here.
 * Writes are synchronous: the lines that matter most (a fatal start-up error, the last line
 * before exit) must not sit in a buffer when the process ends, and logging is rare on the query
 * path (the per-query log is an opt-in debugging aid).
 */
export function createLogger(
  level: LogLevel = 'info',
  destination?: NodeJS.WritableStream,
): Logger {
  return pino(
    { level, base: { service: 'geosteer', pid: process.pid } },
    destination ?? pino.destination({ sync: true }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
