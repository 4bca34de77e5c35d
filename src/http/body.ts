/**
 * Reading a JSON body strictly: the media type must be JSON in UTF-8, the bytes valid UTF-8, the
 * nesting at most 32 levels, no object wider than 1,000 members, at most 20,000 objects and arrays,
 * and the size at most 1 MiB (enforced by the raw body parser). Depth, width and count are checked on
 * the text before it is parsed. Express's
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

/** Most members one object of a body may have. Past a thousand or so V8 keeps an object as a slow dictionary, and no payload of the gateway comes close. */
export const MAX_OBJECT_MEMBERS = 1_000;

/**
 * Most objects and arrays one body may hold. Parsing allocates each one, and a megabyte of `{}` is
 * 350,000 of them: refused before parsing, such a body costs the gateway a scan instead of a parse and a
 * garbage collection, and what is parsed costs about what a valid body of the same size does. A
 * realistic revision holds about 8 per KiB (a full 1 MiB batch about 9,000).
 */
export const MAX_CONTAINERS = 20_000;

export interface JsonShape {
  /** Deepest nesting of objects and arrays (as far as the scan went). */
  depth: number;
  /** Most members seen in one object (as far as the scan went). */
  members: number;
  /** Objects and arrays seen (as far as the scan went). */
  containers: number;
}

/**
 * Nesting depth and the widest object of a JSON text, counted in one pass without recursion (no input
 * can exhaust the stack) and without parsing; stops as soon as a limit is passed, so refusing a body
 * costs less than reading it. Outside strings, `:` only ever separates a member's name from its value.
 */
export function scanJson(
  bytes: Uint8Array,
  limits: { maxDepth: number; maxMembers: number; maxContainers: number } = { maxDepth: Infinity, maxMembers: Infinity, maxContainers: Infinity },
): JsonShape {
  let containers = 0;
  let depth = 0;
  let max = 0;
  let widest = 0;
  let inString = false;
  // Members counted per open object; arrays hold -1 so their colons (there are none) would not count.
  const counts: number[] = [];
  // UTF-8 bytes: every structural character is ASCII and no byte of a multi-byte sequence is, so the
  // scan runs on the body as received, before (and instead of) decoding a body it refuses.
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++containers > limits.maxContainers) break;
      depth++;
      counts.push(c === 123 ? 0 : -1);
      if (depth > max) {
        max = depth;
        if (max > limits.maxDepth) break;
      }
    } else if (c === 125 || c === 93) {
      depth--;
      counts.pop();
    } else if (c === 58 && counts.length > 0) {
      const n = ++counts[counts.length - 1]!;
      if (n > widest) {
        widest = n;
        if (widest > limits.maxMembers) break;
      }
    }
  }
  return { depth: max, members: widest, containers };
}

/** Deepest nesting of objects and arrays. */
export function jsonDepth(text: string): number {
  return scanJson(Buffer.from(text, 'utf8')).depth;
}

export function parseJsonBody(req: Request): unknown {
  checkJsonMediaType(req);
  const raw: unknown = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new ValidationFailed('invalid_body', 'The request body is empty; send a JSON object', [{ path: '', message: 'is required' }]);
  const shape = scanJson(raw, { maxDepth: MAX_DEPTH, maxMembers: MAX_OBJECT_MEMBERS, maxContainers: MAX_CONTAINERS });
  if (shape.depth > MAX_DEPTH) {
    throw new ValidationFailed('invalid_body', `JSON nested deeper than ${MAX_DEPTH} levels is not accepted`, [{ path: '', message: `is nested deeper than ${MAX_DEPTH} levels` }]);
  }
  if (shape.containers > MAX_CONTAINERS) {
    throw new ValidationFailed('invalid_body', `The body holds more than ${MAX_CONTAINERS} objects and arrays`, [
      { path: '', message: `holds more than ${MAX_CONTAINERS} objects and arrays` },
    ]);
  }
  if (shape.members > MAX_OBJECT_MEMBERS) {
    throw new ValidationFailed('invalid_body', `An object of the body has more than ${MAX_OBJECT_MEMBERS} members`, [
      { path: '', message: `holds an object with more than ${MAX_OBJECT_MEMBERS} members` },
    ]);
  }
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw new ValidationFailed('invalid_body', 'The request body is not valid UTF-8', [{ path: '', message: 'is not valid UTF-8' }]);
  }
  try {
    return parseJson(text);
  } catch (e) {
    throw new ValidationFailed('invalid_body', `The request body is not valid JSON: ${(e as Error).message}`, [{ path: '', message: 'is not valid JSON' }]);
  }
}
