/**
 * API-key authentication and roles. Keys are compared through their SHA-256, so the lookup time says
 * nothing about how much of a guessed key was right. `ops` implies `ops-read`, which implies `kpi`.
 */
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ClientConfig, Role } from '../config.js';
import { problem, sendProblem } from './problem.js';

export interface AuthenticatedClient {
  name: string;
  roles: ReadonlySet<Role>;
}

declare module 'express-serve-static-core' {
  interface Request {
    client?: AuthenticatedClient;
    requestId?: string;
  }
}

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export class ClientDirectory {
  private readonly byHash = new Map<string, AuthenticatedClient>();

  constructor(clients: ClientConfig[]) {
    for (const c of clients) {
      const roles = new Set<Role>(c.roles);
      if (roles.has('ops')) roles.add('ops-read');
      if (roles.has('ops-read')) roles.add('kpi');
      this.byHash.set(hash(c.apiKey), { name: c.name, roles });
    }
  }

  find(apiKey: string): AuthenticatedClient | undefined {
    return this.byHash.get(hash(apiKey));
  }
}

export function bearerKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** Middleware: a known key holding at least one of `roles`. */
export function requireRole(directory: ClientDirectory, ...roles: Role[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = bearerKey(req);
    const client = key ? directory.find(key) : undefined;
    if (!client) {
      sendProblem(res, problem(401, 'unauthorized', key ? 'The API key is not known' : 'Send Authorization: Bearer <apiKey>'), {
        'WWW-Authenticate': 'Bearer realm="dvc-gateway"',
      });
      return;
    }
    if (!roles.some((r) => client.roles.has(r))) {
      sendProblem(res, problem(403, 'forbidden', `Client ${client.name} lacks the role ${roles.join(' or ')}`));
      return;
    }
    req.client = client;
    next();
  };
}
