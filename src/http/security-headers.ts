/**
 * Security headers (helmet) of every HTML page the gateway serves: the dashboard, bull-board and the
 * API docs. Each loads nothing from outside the gateway, may not be framed, and is not sniffed.
 * bull-board and Swagger UI set inline styles, so their pages allow inline styles, never inline scripts.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

function pageHeaders(styleSrc: string[]): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      // No helmet defaults: its `upgrade-insecure-requests` would break a gateway served over plain HTTP inside a network.
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc,
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS belongs to whoever terminates TLS in front of the gateway.
    strictTransportSecurity: false,
  });
}

/** The operations dashboard: its own files only. */
export const dashboardHeaders = pageHeaders(["'self'"]);
/** bull-board and the docs page: their scripts are files; their styles partly inline. */
export const inlineStyleHeaders = pageHeaders(["'self'", "'unsafe-inline'"]);
