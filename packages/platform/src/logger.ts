import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * JSON lines (what a log collector reads), or, when the process writes to a terminal, the same
 * records made readable for a person (`npm start` on a laptop). `format` (LOG_FORMAT) decides instead when given.
 */
export function createLogger(service: string, level = 'info', format?: 'json' | 'pretty'): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    redact: { paths: ['req.headers.xapikey', 'req.headers["xapikey"]', 'apiKey', '*.apiKey', 'secret'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const readable = format === 'pretty' || (format !== 'json' && process.stdout.isTTY === true);
  if (!readable) return pino(options);
  return pino(options, pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,name', messageKey: 'msg' }));
}
