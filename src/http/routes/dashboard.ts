/**
 * The operations dashboard (`/ops/`) and bull-board (`/ops/queues/`).
 *
 * The dashboard is static files: the page needs no authentication (it shows a sign-in form) and reads
 * everything through the `/v1/ops` JSON API with the key as a Bearer header. bull-board's own pages
 * cannot send that header, so after sign-in the dashboard posts the key to `/ops/session`, which
 * answers an HttpOnly, SameSite=Strict cookie scoped to `/ops` holding an opaque session id (never the
 * key; see sessions.ts); bull-board answers only to a live session of a client with `ops-read`. An
 * `ops` key gets the writable board, an `ops-read` key the read-only one: two board instances behind
 * the same path, chosen per request. Every page carries the security headers of security-headers.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ValidationFailed } from '../../domain/errors.js';
import { ClientDirectory, type AuthenticatedClient } from '../auth.js';
import { parseJsonBody } from '../body.js';
import { problem, sendProblem } from '../problem.js';
import { documented } from '../route-docs.js';
import { dashboardHeaders, inlineStyleHeaders } from '../security-headers.js';
import { SESSION_TTL_SECONDS, type SessionStore } from '../sessions.js';

export const BOARD_PATH = '/ops/queues';
export const SESSION_COOKIE = 'gw_ops_session';
const MAX_KEY_LENGTH = 512;

const here = dirname(fileURLToPath(import.meta.url));
/**
 * Where the page's files are: next to the compiled module (`dist/src/ops/dashboard`, copied there by
 * the build), else the source folder (`src/ops/dashboard`), which also serves a build run from the repository.
 */
export const DASHBOARD_DIR = [resolve(here, '../../ops/dashboard'), resolve(here, '../../../../src/ops/dashboard')].find((d) =>
  existsSync(join(d, 'index.html')),
) ?? resolve(here, '../../ops/dashboard');

export function dashboardRoutes(deps: { directory: ClientDirectory; queue: Queue; sessions: SessionStore }): Router {
  const router = Router();
  const { directory, sessions } = deps;
  const boards = { writable: board(deps.queue, false), readOnly: board(deps.queue, true) };

  router.use('/ops', dashboardHeaders);
  router.use(BOARD_PATH, inlineStyleHeaders);

  router.post(
    '/ops/session',
    documented({ tag: 'dashboard', summary: "Signs the dashboard in: answers a session cookie (an opaque id, never the key) for bull-board's pages", roles: null, body: { schema: { type: 'object', required: ['apiKey'], properties: { apiKey: { type: 'string' } } } }, responses: { 200: { description: 'Signed in; Set-Cookie holds the session', schema: { type: 'object', properties: { client: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, board: { type: 'string' } } } } }, problems: [400, 401, 403] }),
    async (req: Request, res: Response) => {
    if (!sameOrigin(req)) return sendProblem(res, problem(403, 'forbidden', 'Sign in from the dashboard of this gateway'));
    const body = parseJsonBody(req) as { apiKey?: unknown } | null;
    const key = body && typeof body === 'object' ? body.apiKey : undefined;
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || /[\s;,]/.test(key)) {
      throw new ValidationFailed('invalid_body', '/apiKey must be an API key', [{ path: '/apiKey', message: 'must be an API key' }]);
    }
    const client = directory.find(key);
    if (!client) return sendProblem(res, problem(401, 'unauthorized', 'The API key is not known'));
    if (!client.roles.has('ops-read')) return sendProblem(res, problem(403, 'forbidden', `Client ${client.name} lacks the role ops-read`));
    const id = await sessions.create(ClientDirectory.keyHash(key));
    res.setHeader('Set-Cookie', cookie(req, id, SESSION_TTL_SECONDS));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ client: client.name, roles: [...client.roles].sort(), board: `${BOARD_PATH}/` });
  });

  router.delete(
    '/ops/session',
    documented({ tag: 'dashboard', summary: 'Ends the dashboard session', roles: null, responses: { 204: { description: 'Signed out' } } }),
    async (req: Request, res: Response) => {
    const id = sessionId(req);
    if (id) await sessions.end(id);
    res.setHeader('Set-Cookie', cookie(req, '', 0));
    res.status(204).end();
  });

  router.use(BOARD_PATH, async (req: Request, res: Response, next: NextFunction) => {
    const id = sessionId(req);
    const hash = id ? await sessions.find(id) : null;
    const client = hash ? directory.findByHash(hash) : undefined;
    if (!client || !client.roles.has('ops-read')) return deny(req, res, client);
    if (req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req)) {
      return sendProblem(res, problem(403, 'forbidden', 'Cross-origin requests to the queue board are refused'));
    }
    req.client = client;
    // The app reads every body raw; bull-board expects parsed JSON.
    if (Buffer.isBuffer(req.body)) req.body = req.body.length > 0 ? parseJsonBody(req) : {};
    const chosen = client.roles.has('ops') ? boards.writable : boards.readOnly;
    chosen(req, res, next);
  });

  router.use(
    '/ops',
    express.static(DASHBOARD_DIR, {
      index: 'index.html',
      dotfiles: 'ignore',
      etag: true,
      // Small files, changed by deployments: always revalidate so a screen never runs an old page.
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );

  return router;
}

function board(queue: Queue, readOnly: boolean): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue, { readOnlyMode: readOnly, allowRetries: !readOnly, description: 'DVCQG deliveries' })],
    // @bull-board/express 9.10.1 types against its own copy of @bull-board/api 9.10.1; the shapes are the same.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: readOnly ? 'dvc-gateway (read-only)' : 'dvc-gateway' } },
  });
  return serverAdapter.getRouter() as RequestHandler;
}

function cookie(req: Request, value: string, maxAge?: number): string {
  const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/ops', 'HttpOnly', 'SameSite=Strict'];
  if (req.secure) parts.push('Secure');
  if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
  return parts.join('; ');
}

/** The session id of the request's cookie, or undefined. */
function sessionId(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** A browser sends Origin on cross-site writes; when present it must name this host. */
function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function deny(req: Request, res: Response, client: AuthenticatedClient | undefined): void {
  const p = client
    ? problem(403, 'forbidden', `Client ${client.name} lacks the role ops-read`)
    : problem(401, 'unauthorized', 'Sign in on the dashboard at /ops/ first: the queue board reads its key from the session cookie');
  if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html') {
    res.status(p.status).type('html').setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    res.send(
      '<!doctype html><html lang="vi"><meta charset="utf-8"><title>dvc-gateway</title>' +
        `<p>Chưa đăng nhập hoặc khóa không có quyền xem. / Not signed in, or the key may not view this.</p>` +
        '<p><a href="/ops/">Đăng nhập tại bảng giám sát / Sign in on the dashboard</a></p></html>',
    );
    return;
  }
  sendProblem(res, p);
}
