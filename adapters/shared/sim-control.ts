/**
 * The control plane every simulator shares, beside its protocol endpoints (no credentials; never
 * faulted, never recorded):
 *
 *   GET  /_sim/state    what the simulator reports (faults, counts, recent requests); its query may narrow it
 *   GET  /_sim/faults   the faults in force (where the simulator says)
 *   POST /_sim/faults   body: a partial fault set of that simulator → its answer (400 when invalid)
 *   POST /_sim/reset    forget requests, restore the faults given at start
 *   POST /_sim/<name>   a simulator's own action, given the JSON body (e.g. `revoke-tokens`, `dossiers/tamper`)
 *
 * Refusals answer `{"error", "error_description"}` with 400 (a bad body) or 404 (nothing by that name).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CONTROL_PREFIX = '/_sim/';
const MAX_CONTROL_BODY = 64 * 1024;

export interface SimControl {
  state(query: URLSearchParams): unknown;
  /** The faults in force, for `GET /_sim/faults`; absent: that route is 404. */
  faults?(): unknown;
  /** Applies a fault update read from JSON; throws (a TypeError, RangeError, …) naming what is wrong: 400. */
  setFaults(update: unknown): unknown;
  reset(): unknown;
  /** Further POST actions by name, given the parsed body (undefined when empty); throw ControlRefusal to refuse. */
  actions?: Readonly<Record<string, (body: unknown) => unknown>>;
}

/** An action's refusal: 400 for a body it cannot use, 404 for something it does not hold. */
export class ControlRefusal extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

export function isControlPath(pathname: string): boolean {
  return pathname.startsWith(CONTROL_PREFIX);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

async function readText(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONTROL_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const refuse = (res: ServerResponse, status: number, description: string) =>
  sendJson(res, status, { error: status === 404 ? 'not_found' : 'invalid_request', error_description: description });

/** Answers one control request. `body`: the request's text when the simulator already read it (null: it was too large). */
export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, control: SimControl, body?: string | null): Promise<void> {
  const name = url.pathname.slice(CONTROL_PREFIX.length);
  const missing = () => refuse(res, 404, `no control endpoint ${req.method} ${url.pathname}`);
  if (req.method === 'GET') {
    if (name === 'state') return sendJson(res, 200, control.state(url.searchParams));
    if (name === 'faults' && control.faults) return sendJson(res, 200, control.faults());
    return missing();
  }
  if (req.method !== 'POST') return missing();
  if (name === 'reset') return sendJson(res, 200, control.reset());
  const action = name === 'faults' ? control.setFaults : control.actions?.[name];
  if (!action) return missing();
  const text = body === undefined ? await readText(req) : body;
  if (text === null) return refuse(res, 413, 'body too large');
  try {
    const parsed: unknown = text.trim() === '' ? (name === 'faults' ? {} : undefined) : JSON.parse(text);
    return sendJson(res, 200, action(parsed));
  } catch (error) {
    if (error instanceof ControlRefusal) return refuse(res, error.status, error.message);
    return refuse(res, 400, (error as Error).message);
  }
}
