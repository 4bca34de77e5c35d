/**
 * The control plane every simulator shares, beside its protocol endpoints (no credentials; never
 * faulted, never recorded):
 *
 *   GET  /_sim/state    what the simulator reports (faults, counts, recent requests)
 *   POST /_sim/faults   body: a partial fault set of that simulator → its answer (400 when invalid)
 *   POST /_sim/reset    forget requests, restore the faults given at start
 *   POST /_sim/<name>   a simulator's own extra action (e.g. `revoke-tokens`)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CONTROL_PREFIX = '/_sim/';
const MAX_CONTROL_BODY = 64 * 1024;

export interface SimControl {
  state(): unknown;
  /** Applies a fault update read from JSON; throws a TypeError naming what is wrong. */
  setFaults(update: unknown): unknown;
  reset(): unknown;
  /** Further POST actions by name. */
  actions?: Readonly<Record<string, () => unknown>>;
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

/** Answers one control request. `body`: the request's text when the simulator already read it. */
export async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string, control: SimControl, body?: string): Promise<void> {
  const name = pathname.slice(CONTROL_PREFIX.length);
  if (req.method === 'GET' && name === 'state') return sendJson(res, 200, control.state());
  if (req.method !== 'POST') return sendJson(res, 404, { error: 'not_found', error_description: `no control endpoint ${req.method} ${pathname}` });
  if (name === 'reset') return sendJson(res, 200, control.reset());
  if (name === 'faults') {
    const text = body ?? (await readText(req));
    if (text === null) return sendJson(res, 413, { error: 'invalid_request', error_description: 'body too large' });
    try {
      return sendJson(res, 200, control.setFaults(JSON.parse(text === '' ? '{}' : text)));
    } catch (error) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: (error as Error).message });
    }
  }
  const action = control.actions?.[name];
  if (action) return sendJson(res, 200, action());
  sendJson(res, 404, { error: 'not_found', error_description: `no control endpoint ${req.method} ${pathname}` });
}
