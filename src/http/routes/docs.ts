/**
 * `GET /openapi.json` (no key): the OpenAPI 3.1 document, built once from the app's routes, the
 * sector sources and `schemas/` (see ../openapi.ts). `GET /docs`: Swagger UI, its files served from
 * the installed swagger-ui-dist package, nothing loaded from outside the gateway, with the security
 * headers of every page (no inline script: the page's own start-up is a file too).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router, type Express, type Request, type Response } from 'express';
import type { AnySectorSource } from '../../lookup/source.js';
import { buildOpenApi, type PlannedRoute } from '../openapi.js';
import { documented } from '../route-docs.js';
import { inlineStyleHeaders } from '../security-headers.js';

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist'));
/** The only files of the package the page needs. */
const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']);

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dvc-gateway API</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
const START = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis] });
});
`;

export interface DocsDeps {
  /** The app whose routes the document describes (known once it is built). */
  app: () => Express;
  sources: readonly AnySectorSource[];
  planned: readonly PlannedRoute[];
  version: string;
}

export function docsRoutes(deps: DocsDeps): Router {
  const router = Router();
  let document: string | null = null;

  router.get(
    '/openapi.json',
    documented({ tag: 'docs', summary: 'This OpenAPI 3.1 document', roles: null, responses: { 200: { description: 'The document', schema: { type: 'object' } } } }),
    (_req: Request, res: Response) => {
      document ??= JSON.stringify(buildOpenApi({ app: deps.app(), sources: deps.sources, planned: deps.planned, version: deps.version }));
      res.type('application/json').setHeader('Cache-Control', 'no-cache');
      res.send(document);
    },
  );

  router.use('/docs', inlineStyleHeaders);
  router.get(
    '/docs',
    documented({ tag: 'docs', summary: 'The API documentation for people (Swagger UI, served by the gateway)', roles: null, responses: { 200: { description: 'An HTML page', contentType: 'text/html', schema: { type: 'string' } } } }),
    (_req: Request, res: Response) => {
      res.type('html').setHeader('Cache-Control', 'no-cache');
      res.send(PAGE);
    },
  );
  router.get(
    '/docs/start.js',
    documented({ tag: 'docs', summary: "The docs page's start-up script", roles: null, responses: { 200: { description: 'JavaScript', contentType: 'text/javascript', schema: { type: 'string' } } } }),
    (_req: Request, res: Response) => {
      res.type('text/javascript').setHeader('Cache-Control', 'no-cache');
      res.send(START);
    },
  );
  const assets = express.static(SWAGGER_UI_DIR, { index: false, dotfiles: 'ignore', maxAge: '1d' });
  router.get(
    '/docs/assets/:file',
    documented({ tag: 'docs', summary: 'Files of the docs page (Swagger UI)', roles: null, params: { file: 'swagger-ui.css, swagger-ui-bundle.js or favicon-32x32.png' }, responses: { 200: { description: 'The file' } }, problems: [404] }),
    (req: Request, res: Response, next) => {
      const file = String(req.params.file);
      if (!ASSETS.has(file)) return next();
      req.url = `/${file}`;
      assets(req, res, next);
    },
  );
  return router;
}
