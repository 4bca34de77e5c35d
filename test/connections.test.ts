/**
 * Slow and idle clients (shared/API.md "Conventions"), with real sockets: idle connections are closed,
 * trickled headers and bodies get 408 or are closed, and /health/live still answers with thousands of
 * idle connections open against a low connection limit.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionLimits } from '../src/http/server.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({
    env: { HTTP_KEEP_ALIVE_TIMEOUT_MS: '500', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_MAX_CONNECTIONS: '300' },
  });
});
afterAll(async () => {
  await t?.stop();
});

interface Client {
  socket: Socket;
  received: string;
  closed: boolean;
}

function open(): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect(t.gateway.port, '127.0.0.1');
    const c: Client = { socket, received: '', closed: false };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (c.received += d));
    socket.on('close', () => (c.closed = true));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(c));
    socket.once('error', reject);
  });
}

describe('connections', () => {
  it('closes a connection that never sends a request', async () => {
    const c = await open();
    await waitFor('idle connection closed', () => c.closed, 30_000);
  });

  it('closes a keep-alive connection idle after its answer', async () => {
    const c = await open();
    c.socket.write('GET /health/live HTTP/1.1\r\nHost: gw\r\n\r\n');
    await waitFor('answer', () => c.received.includes('200 OK'));
    await waitFor('keep-alive connection closed', () => c.closed, 30_000);
  });

  it('answers 408 or closes when headers trickle in', async () => {
    const c = await open();
    c.socket.write('GET /health/live HTTP/1.1\r\nHost: gw\r\n');
    const trickle = setInterval(() => {
      if (!c.closed) c.socket.write('X-Slow: 1\r\n');
    }, 100);
    try {
      await waitFor('trickled request closed', () => c.closed, 30_000);
    } finally {
      clearInterval(trickle);
    }
    expect(c.received === '' || c.received.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('answers 408 or closes when a body trickles in', async () => {
    const c = await open();
    c.socket.write(`PUT /v1/dossiers/X HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEYS.sync}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
    const trickle = setInterval(() => {
      if (!c.closed) c.socket.write('{');
    }, 100);
    try {
      await waitFor('trickled body closed', () => c.closed, 30_000);
    } finally {
      clearInterval(trickle);
    }
    expect(c.received.includes('500')).toBe(false);
  });

  it('keeps answering /health/live with thousands of idle connections open, then closes them all', async () => {
    const idle: Client[] = [];
    for (let i = 0; i < 2_000; i++) idle.push(await open());
    // Well past the limit of 300: the gateway made room by closing the idle ones, and health checks get in.
    for (let i = 0; i < 20; i++) {
      const live = await api(t.url, 'GET', '/health/live');
      expect(live.status).toBe(200);
    }
    expect(t.gateway.http.connections()).toBeLessThanOrEqual(t.gateway.http.limits.hard);
    await waitFor('every idle connection closed', () => idle.every((c) => c.closed), 30_000);
    const metrics = await api(t.url, 'GET', '/metrics');
    expect(metrics.body).toMatch(/gateway_http_connections_shed_total [1-9]/);
  });

  it('keeps headroom below the open-file limit', () => {
    expect(connectionLimits(10_000, 20_000)).toEqual({ hard: 10_000, soft: 9_744 });
    expect(connectionLimits(10_000, 1_024)).toEqual({ hard: 512, soft: 486 });
    expect(connectionLimits(10_000, null).hard).toBe(10_000);
  });
});
