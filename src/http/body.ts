/**
 * Reading a JSON body strictly: the media type must be JSON in UTF-8, the bytes valid UTF-8, the
 * nesting at most 32 levels, and the size at most 1 MiB (enforced by the raw body parser). Express's
 * own JSON parser would replace bad bytes silently and recurse on any depth, so the body is read raw.
 */
import type { Request } from 'express';
import { ValidationFailed } from '../domain/errors.js';
import { parseJson } from '../domain/json.js';

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_DEPTH = 32;

export class UnsupportedMediaType extends Error {}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function checkJsonMediaType(req: Request): void {
  const header = req.headers['content-type'];
  if (!header) throw new UnsupportedMediaType('Content-Type must be application/json');
  const [type, ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type ?? '')) {
    throw new UnsupportedMediaType(`Content-Type ${type} is not supported; send application/json`);
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new UnsupportedMediaType(`charset ${charset} is not supported; send UTF-8`);
}

/** Deepest nesting of objects and arrays, counted without recursion so no input can exhaust the stack. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

export function parseJsonBody(req: Request): unknown {
  checkJsonMediaType(req);
  const raw: unknown = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new ValidationFailed('invalid_body', 'The request body is empty; send a JSON object', [{ path: '', message: 'is required' }]);
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw new ValidationFailed('invalid_body', 'The request body is not valid UTF-8', [{ path: '', message: 'is not valid UTF-8' }]);
  }
  if (jsonDepth(text) > MAX_DEPTH) {
    throw new ValidationFailed('invalid_body', `JSON nested deeper than ${MAX_DEPTH} levels is not accepted`, [{ path: '', message: `is nested deeper than ${MAX_DEPTH} levels` }]);
  }
  try {
    return parseJson(text);
  } catch (e) {
    throw new ValidationFailed('invalid_body', `The request body is not valid JSON: ${(e as Error).message}`, [{ path: '', message: 'is not valid JSON' }]);
  }
}
