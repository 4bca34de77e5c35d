/**
 * The gateway's logger (pino). Personal data never reaches a log line: ID numbers, names, sessions,
 * tokens and keys are redacted wherever they appear in a logged object.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

/** The request being served, so every log line written on its behalf carries its `reqId`. */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  '*.authorization',
  '*.Authorization',
  'session',
  '*.session',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'access_token',
  '*.access_token',
  'idNumber',
  '*.idNumber',
  'SoDinhDanh',
  '*.SoDinhDanh',
  'fullName',
  '*.fullName',
  'HoVaTen',
  '*.HoVaTen',
  'hoVaTen',
  '*.hoVaTen',
  'ChuHoSo',
  '*.ChuHoSo',
  'subject',
  '*.subject',
];

export function createLogger(level: string, name = 'dvc-gateway', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    mixin: () => requestContext.getStore() ?? {},
  };
  return destination ? pino(options, destination) : pino(options);
}

