/**
 * The gateway's logger (pino). Personal data never reaches a log line: ID numbers, names, sessions,
 * tokens and keys are redacted wherever they appear in a logged object.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

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

/**
 * An error as logged: pino's standard form (message, type, stack, cause, own fields) without what a
 * store error drags along: ioredis attaches the failed command with its arguments (`command.args`:
 * ID numbers, officers, progress JSON with names), so only the command's name is kept.
 */
export function serializeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return withoutCommandArgs(stdSerializers.err(value), 0);
}

function withoutCommandArgs(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => withoutCommandArgs(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'args' || key === 'argv') continue;
    if (key === 'command' && v !== null && typeof v === 'object') {
      const commandName = (v as { name?: unknown }).name;
      out.command = typeof commandName === 'string' ? { name: commandName } : '[redacted]';
      continue;
    }
    out[key] = withoutCommandArgs(v, depth + 1);
  }
  return out;
}

function withErrorsSerialized(object: Record<string, unknown>): Record<string, unknown> {
  let out = object;
  for (const [key, value] of Object.entries(object)) {
    if (value instanceof Error) {
      if (out === object) out = { ...object };
      out[key] = serializeError(value);
    }
  }
  return out;
}

export function createLogger(level: string, name = 'dvc-gateway', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    serializers: { err: serializeError, error: serializeError, reason: serializeError, cause: serializeError },
    // An error logged under any other key is serialized the same way (its command arguments dropped).
    formatters: { log: (object: Record<string, unknown>) => withErrorsSerialized(object) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    mixin: () => requestContext.getStore() ?? {},
  };
  return destination ? pino(options, destination) : pino(options);
}

