/** The JSON API with the key as a Bearer header; a hung request is aborted. */
import { state } from './state.js';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || 'HTTP ' + status);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, options) {
  const opts = options || {};
  const headers = { Accept: 'application/json', Authorization: 'Bearer ' + (opts.key || state.key) };
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  // A hung request must not stall the refresh loop.
  const signal = AbortSignal.timeout(opts.timeoutMs || 10000);
  const res = await fetch(path, { method: opts.method || 'GET', headers, body, cache: 'no-store', credentials: 'same-origin', signal });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}
