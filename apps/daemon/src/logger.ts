/** The daemon's log: leveled lines, Transmission's shape, to stderr or a file. */
import { appendFileSync } from 'node:fs';
import { LOG_LEVELS, type LogLevel } from './options.js';

export interface Logger {
  log(level: LogLevel, message: string): void;
}

const TAGS: Record<LogLevel, string> = {
  critical: 'CRT',
  error: 'ERR',
  warn: 'WRN',
  info: 'INF',
  debug: 'DBG',
  trace: 'TRC',
};

export function createLogger(options: {
  level: LogLevel;
  file?: string;
  stream?: NodeJS.WritableStream;
}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  return {
    log(level, message) {
      if (LOG_LEVELS.indexOf(level) > threshold) return;
      const time = new Date().toISOString().replace('T', ' ').replace('Z', '');
      const line = `[${time}] ${TAGS[level]} ${message}\n`;
      if (options.file) {
        try {
          appendFileSync(options.file, line);
          return;
        } catch {
          // fall back to the stream
        }
      }
      options.stream?.write(line);
    },
  };
}
