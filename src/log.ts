import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** JSON lines on stdout (pino). Disabled levels cost one comparison per call, set once here. */
export function createLogger(level: LogLevel = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { service: 'geosteer', pid: process.pid } }, destination ?? pino.destination({ sync: false }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
