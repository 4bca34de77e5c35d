/**
 * The operations command line: `npm run ops -- <command>`. Reads the gateway's `/v1/ops` API with an
 * API key, prints compact tables (or, with --json, the API's own JSON), and replays dead letters.
 *
 *   npm run ops -- queues | upstreams | alerts | sync | whoami
 *   npm run ops -- dead-letters list [--limit N] [--all]
 *   npm run ops -- dead-letters replay <id>
 *   npm run ops -- dead-letters replay-all [--ma-ho-so X] [--reason CODE]
 *   npm run ops -- catalog import <file.csv|file.xlsx>... | catalog show
 *   npm run ops -- kpi units|unit <code>|warnings [--period P] [--xlsx file]   (scripts/ops-cli-kpi.ts)
 *   npm run ops -- reconcile start [--from yyyyMMdd --to yyyyMMdd] [--ma-ho-so X] [--no-wait]
 *   npm run ops -- reconcile status <id> [--watch]
 *   npm run ops -- clients hash-key < key.txt   (prints the key's apiKeySha256 for the clients file)
 *
 * Global options: --url (GATEWAY_URL, default http://127.0.0.1:8080), --key (GATEWAY_API_KEY), --json.
 * Any failure prints one line on stderr, `error: …`, and exits with code 1.
 */
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { apiKeyHash } from '../src/config.js';
import { registerKpiCommands } from './ops-cli-kpi.js';
import type { RunFigures } from '../src/reconcile/store.js';

export interface GlobalOptions {
  url: string;
  key?: string;
  json?: boolean;
}

interface QueueFigures {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  oldestWaitingAgeSeconds: number | null;
  perMinute: { completed: number; failed: number };
}

interface Upstream {
  name: string;
  kind: string;
  circuit: string;
  requests: number;
  failures: number;
  timeouts: number;
  rejected: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  lastError: { code: string; message: string; at: string } | null;
}

interface Alert {
  rule: string;
  subject: string;
  severity: string;
  summary: string;
  state: string;
  since: string;
  resolvedAt: string | null;
}

interface DeadLetter {
  id: string;
  maHoSo: string;
  revision: number;
  kind: string;
  reason: { code: string; message: string; upstreamCode: string | null };
  attempts: number;
  failedAt: string;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface SyncFigures {
  lagSeconds: number;
  undeliveredDossiers: number;
  deadLetters: number;
  recentReplays: Array<{ at: string; by: string; letterId: string; maHoSo: string; kind: string }>;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** A failure already worded for the operator: printed as is, exit code 1. */
export class CliError extends Error {}

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    /** The problem's `errors` (validation), when it has them. */
    readonly errors: Array<{ path: string; message: string }> = [],
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export class Client {
  private readonly base: string;

  constructor(private readonly options: GlobalOptions) {
    this.base = options.url.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/.test(this.base)) throw new CliError(`--url must be an http(s) URL, not ${JSON.stringify(options.url)}`);
    if (!options.key) throw new CliError('no API key: pass --key <apiKey> or set GATEWAY_API_KEY');
  }

  /** A file answer (an export): its bytes; failures as request() words them. */
  async download(path: string): Promise<Buffer> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { headers: { authorization: `Bearer ${this.options.key}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (e) {
      throw new CliError(connectionProblem(e, this.base));
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (!res.ok) {
      let p: { code?: string; detail?: string } = {};
      try {
        p = JSON.parse(bytes.toString('utf8')) as typeof p;
      } catch {
        /* not a problem document */
      }
      throw new ApiError(res.status, p.code ?? 'error', p.detail ?? `GET ${path} failed`);
    }
    return bytes;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.key}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      throw new CliError(connectionProblem(e, this.base));
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const p = (parsed ?? {}) as { code?: unknown; detail?: unknown; title?: unknown; errors?: unknown };
      const code = typeof p.code === 'string' ? p.code : res.statusText.toLowerCase().replace(/\W+/g, '_') || 'error';
      const detail = typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : `${method} ${path} failed`;
      const errors = Array.isArray(p.errors) ? (p.errors as Array<{ path: string; message: string }>) : [];
      throw new ApiError(res.status, code, detail.replace(/\s+/g, ' '), errors);
    }
    if (parsed === null && text) throw new CliError(`${method} ${path}: the gateway answered something that is not JSON`);
    return parsed as T;
  }
}

function connectionProblem(e: unknown, base: string): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer from ${base} within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const code = err.cause?.code ?? '';
  if (code === 'ECONNREFUSED') return `cannot reach the gateway at ${base}: connection refused (is it running? set --url or GATEWAY_URL)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach the gateway at ${base}: host not found`;
  return `cannot reach the gateway at ${base}: ${code || err.cause?.message || err.message || 'network error'}`;
}

// ---------- output ----------

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}
export const printJson = (value: unknown): void => out(JSON.stringify(value, null, 2));

export type Cell = string | number | null | undefined;

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(headers: string[], rows: Cell[][]): void {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - [...c].length));
        return numeric[i] ? pad + c : i === cells.length - 1 ? c : c + pad;
      })
      .join('  ')
      .trimEnd();
  out(line(headers));
  for (const r of text) out(line(r));
}

export function keyValues(pairs: Array<[string, Cell]>): void {
  const width = Math.max(...pairs.map(([k]) => k.length));
  for (const [k, v] of pairs) out(`${k.padEnd(width)}  ${v === null || v === undefined ? '-' : v}`);
}

const time = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : null);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const ms = (v: number | null) => (v === null ? null : Math.round(v));

// ---------- commands ----------

async function queues(client: Client, g: GlobalOptions): Promise<void> {
  const body = await client.request<{ queues: QueueFigures[] }>('GET', '/v1/ops/queues');
  if (g.json) return printJson(body);
  table(
    ['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'COMPLETED', 'OLDEST_S', 'DONE/MIN', 'FAILED/MIN'],
    body.queues.map((q) => [q.name, q.waiting, q.active, q.delayed, q.failed, q.completed, q.oldestWaitingAgeSeconds, q.perMinute.completed, q.perMinute.failed]),
  );
}

async function upstreams(client: Client, g: GlobalOptions): Promise<void> {
  const body = await client.request<{ upstreams: Upstream[] }>('GET', '/v1/ops/upstreams');
  if (g.json) return printJson(body);
  table(
    ['UPSTREAM', 'KIND', 'CIRCUIT', 'REQ', 'FAIL', 'TIMEOUT', 'REJECTED', 'P50_MS', 'P95_MS', 'P99_MS', 'LAST ERROR'],
    body.upstreams.map((u) => [
      u.name,
      u.kind,
      u.circuit === 'closed' ? 'closed' : u.circuit.toUpperCase(),
      u.requests,
      u.failures,
      u.timeouts,
      u.rejected,
      ms(u.latencyMs.p50),
      ms(u.latencyMs.p95),
      ms(u.latencyMs.p99),
      u.lastError ? clip(`${time(u.lastError.at)} ${u.lastError.code}: ${u.lastError.message}`, 80) : null,
    ]),
  );
  out('(figures over the last 5 minutes)');
}

async function alerts(client: Client, g: GlobalOptions): Promise<void> {
  const body = await client.request<{ firing: Alert[]; recent: Alert[] }>('GET', '/v1/ops/alerts');
  if (g.json) return printJson(body);
  if (body.firing.length === 0) out('no alerts firing');
  else {
    out(`${body.firing.length} alert(s) firing:`);
    table(['SEVERITY', 'RULE', 'SUBJECT', 'SINCE', 'SUMMARY'], body.firing.map((a) => [a.severity.toUpperCase(), a.rule, a.subject, time(a.since), a.summary]));
  }
  const resolved = body.recent.filter((a) => a.state === 'resolved').slice(0, 10);
  if (resolved.length > 0) {
    out();
    out('recently resolved:');
    table(['RULE', 'SUBJECT', 'SINCE', 'RESOLVED', 'SUMMARY'], resolved.map((a) => [a.rule, a.subject, time(a.since), time(a.resolvedAt), a.summary]));
  }
}

async function sync(client: Client, g: GlobalOptions): Promise<void> {
  const body = await client.request<SyncFigures>('GET', '/v1/ops/sync');
  if (g.json) return printJson(body);
  keyValues([
    ['sync lag', `${body.lagSeconds} s`],
    ['undelivered dossiers', body.undeliveredDossiers],
    ['dead letters', body.deadLetters],
  ]);
  if (body.recentReplays.length > 0) {
    out();
    out('recent replays:');
    table(['AT', 'BY', 'MAHOSO', 'KIND', 'LETTER'], body.recentReplays.map((r) => [time(r.at), r.by, r.maHoSo, r.kind, r.letterId]));
  }
}

async function whoami(client: Client, g: GlobalOptions): Promise<void> {
  const body = await client.request<{ client: string; roles: string[] }>('GET', '/v1/ops/whoami');
  if (g.json) return printJson(body);
  keyValues([
    ['client', body.client],
    ['roles', body.roles.join(', ')],
  ]);
}

async function listLetters(client: Client, limit: number, all: boolean): Promise<Page<DeadLetter>> {
  const items: DeadLetter[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: Page<DeadLetter> = await client.request<Page<DeadLetter>>('GET', `/v1/ops/dead-letters${query}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (all && cursor);
  return { items, nextCursor: all ? null : cursor };
}

function printLetters(page: Page<DeadLetter>): void {
  if (page.items.length === 0) return out('no dead letters');
  table(
    ['ID', 'MAHOSO', 'REV', 'KIND', 'REASON', 'CODE', 'ATTEMPTS', 'FAILED AT', 'MESSAGE'],
    page.items.map((l) => [l.id, l.maHoSo, l.revision, l.kind, l.reason.code, l.reason.upstreamCode, l.attempts, time(l.failedAt), clip(l.reason.message, 60)]),
  );
  if (page.nextCursor) out(`(more: --all to list every letter)`);
}

async function replayOne(client: Client, g: GlobalOptions, id: string): Promise<void> {
  const body = await client.request<{ replayed: number }>('POST', `/v1/ops/dead-letters/${encodeURIComponent(id)}/replay`);
  if (g.json) return printJson(body);
  out(`replayed ${body.replayed} dead letter (${id})`);
}

/** Lists the matching letters first, then replays them one by one so progress can be shown. */
async function replayAll(client: Client, g: GlobalOptions, filter: { maHoSo?: string; reason?: string }): Promise<void> {
  const { items } = await listLetters(client, 500, true);
  const chosen = items.filter(
    (l) =>
      (filter.maHoSo === undefined || l.maHoSo === filter.maHoSo) &&
      (filter.reason === undefined || l.reason.code === filter.reason || l.reason.upstreamCode === filter.reason),
  );
  if (chosen.length === 0) {
    if (g.json) return printJson({ matched: 0, replayed: 0, gone: 0 });
    return out('no dead letters match');
  }
  const bar = new cliProgress.SingleBar(
    { format: 'replaying [{bar}] {value}/{total} {maHoSo}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(chosen.length, 0, { maHoSo: '' });
  let replayed = 0;
  let gone = 0;
  try {
    for (const l of chosen) {
      try {
        const r = await client.request<{ replayed: number }>('POST', `/v1/ops/dead-letters/${encodeURIComponent(l.id)}/replay`);
        replayed += r.replayed;
      } catch (e) {
        // Replayed by someone else meanwhile: nothing left to do for this one.
        if (e instanceof ApiError && e.status === 404) gone++;
        else throw e;
      }
      bar.increment(1, { maHoSo: l.maHoSo });
    }
  } finally {
    bar.stop();
  }
  if (g.json) return printJson({ matched: chosen.length, replayed, gone });
  out(`replayed ${replayed} of ${chosen.length} matching dead letter(s)${gone ? ` (${gone} already gone)` : ''}`);
}

// ---------- reconciliation ----------

/** The answer of GET /v1/ops/reconcile/{id}. */
type ReconcileRun = RunFigures;

const RECONCILE_POLL_MS = 1_000;

function yyyymmdd(value: string): string {
  if (!/^\d{8}$/.test(value)) throw new InvalidArgumentError('must be a date written yyyyMMdd');
  return value;
}

function printRun(run: ReconcileRun): void {
  keyValues([
    ['run', run.id],
    ['state', run.state],
    ['queued', run.queued],
    ['checked', run.checked],
    ['matched', run.matched],
    ['drifted', run.drifted],
    ['repaired', run.repaired],
    ['failed', run.failed],
  ]);
}

/** Follows a run with a progress bar (checked of queued) until it is done; returns its last figures. */
async function followRun(client: Client, id: string): Promise<ReconcileRun> {
  const path = `/v1/ops/reconcile/${encodeURIComponent(id)}`;
  let run = await client.request<ReconcileRun>('GET', path);
  const bar = new cliProgress.SingleBar(
    {
      format: 'reconciling [{bar}] {value}/{total} checked | matched {matched} drifted {drifted} repaired {repaired} failed {failed}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
      // Piped into a log, the bar is written as a line every few seconds instead of being redrawn.
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(run.queued, 1), run.checked, run);
  try {
    while (run.state !== 'done') {
      await new Promise((r) => setTimeout(r, RECONCILE_POLL_MS));
      run = await client.request<ReconcileRun>('GET', path);
      bar.update(run.checked, run);
    }
    bar.update(Math.max(run.queued, 1), run);
  } finally {
    bar.stop();
  }
  return run;
}

async function reconcileStart(client: Client, g: GlobalOptions, o: { from?: string; to?: string; maHoSo?: string; wait: boolean }): Promise<void> {
  const body: Record<string, string> = {};
  if (o.from) body.receivedFrom = o.from;
  if (o.to) body.receivedTo = o.to;
  if (o.maHoSo) body.maHoSo = o.maHoSo;
  const started = await client.request<{ id: string; queued: number }>('POST', '/v1/ops/reconcile', body);
  if (!o.wait) {
    if (g.json) return printJson(started);
    return out(`reconciliation ${started.id} started: ${started.queued} dossier(s) queued (follow it: reconcile status ${started.id} --watch)`);
  }
  if (!g.json) out(`reconciliation ${started.id}: ${started.queued} dossier(s) queued`);
  const run = await followRun(client, started.id);
  if (g.json) return printJson(run);
  printRun(run);
}

async function reconcileStatus(client: Client, g: GlobalOptions, id: string, watch: boolean): Promise<void> {
  const run = watch ? await followRun(client, id) : await client.request<ReconcileRun>('GET', `/v1/ops/reconcile/${encodeURIComponent(id)}`);
  if (g.json) return printJson(run);
  if (!watch) {
    const width = 30;
    const done = run.queued === 0 ? width : Math.round((run.checked / run.queued) * width);
    out(`[${'█'.repeat(done)}${'░'.repeat(width - done)}] ${run.checked}/${run.queued} checked`);
  }
  printRun(run);
}

// ---------- wiring ----------

function positiveInt(max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return Number(value);
  };
}

/** The key on standard input: its first line, the line end and surrounding spaces dropped. */
async function readKeyFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    if (Buffer.concat(chunks).length > 4096) throw new CliError('standard input holds more than one API key');
  }
  const key = (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
  if (key === '' || /\s/.test(key)) throw new CliError('give the API key on standard input, e.g. printf %s "$KEY" | npm run ops -- clients hash-key');
  return key;
}

export function run(action: (client: Client, g: GlobalOptions, cmd: Command) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const g = cmd.optsWithGlobals<GlobalOptions>();
    g.key ??= process.env.GATEWAY_API_KEY || undefined;
    await action(new Client(g), g, cmd);
  };
}

function buildProgram(): Command {
  const program = new Command('ops')
    .description('Operations command line of dvc-gateway: queues, upstreams, alerts, sync state and dead letters')
    .option('--url <url>', 'gateway base URL', process.env.GATEWAY_URL || 'http://127.0.0.1:8080')
    // No commander default: help would print the key.
    .option('--key <apiKey>', 'API key with the ops-read role (ops to replay); default GATEWAY_API_KEY')
    .option('--json', "print the API's JSON instead of tables")
    .showHelpAfterError();

  program.command('queues').description('queue figures: waiting, active, delayed, failed, throughput').action(run((c, g) => queues(c, g)));
  program.command('upstreams').description('circuit state and latency of each upstream').action(run((c, g) => upstreams(c, g)));
  program.command('alerts').description('alerts firing, and those resolved recently').action(run((c, g) => alerts(c, g)));
  program.command('sync').description('sync lag, undelivered dossiers, dead letters, recent replays').action(run((c, g) => sync(c, g)));
  program.command('whoami').description('the client and roles of the API key').action(run((c, g) => whoami(c, g)));

  const clients = program.command('clients').description('help with the clients file (GATEWAY_CLIENTS_FILE)');
  clients
    .command('hash-key')
    .description('print the apiKeySha256 of an API key read from standard input (one line; the key never appears in arguments or history)')
    .action(async () => {
      const key = await readKeyFromStdin();
      console.log(apiKeyHash(key));
    });

  const letters = program.command('dead-letters').description('list and replay dead letters');
  letters
    .command('list')
    .description('dead letters, newest first')
    .option('--limit <n>', 'letters per page (1-500)', positiveInt(500), 50)
    .option('--all', 'follow nextCursor to list every letter')
    .action(
      run(async (c, g, cmd) => {
        const o = cmd.opts<{ limit: number; all?: boolean }>();
        const page = await listLetters(c, o.limit, Boolean(o.all));
        if (g.json) printJson(page);
        else printLetters(page);
      }),
    );
  letters
    .command('replay')
    .description('replay one dead letter (role ops)')
    .argument('<id>', 'the letter id, as listed')
    .action(run((c, g, cmd) => replayOne(c, g, cmd.args[0]!)));
  letters
    .command('replay-all')
    .description('replay every matching dead letter one by one, with a progress bar (role ops)')
    .option('--ma-ho-so <maHoSo>', 'only letters of this dossier')
    .option('--reason <code>', 'only letters whose reason.code or portal error code is this')
    .action(
      run((c, g, cmd) => {
        const o = cmd.opts<{ maHoSo?: string; reason?: string }>();
        return replayAll(c, g, { maHoSo: o.maHoSo, reason: o.reason });
      }),
    );
  registerKpiCommands(program);

  const reconcile = program.command('reconcile').description("check delivered dossiers against the portal's copy and repair drifts");
  reconcile
    .command('start')
    .description('reconcile every delivered dossier, or those received in a date range, and follow the run (role ops)')
    .option('--from <yyyyMMdd>', 'first NgayTiepNhan day (local time), included', yyyymmdd)
    .option('--to <yyyyMMdd>', 'last NgayTiepNhan day (local time), included', yyyymmdd)
    .option('--ma-ho-so <maHoSo>', 'only this dossier')
    .option('--no-wait', 'print the run id and return without following it')
    .action(
      run((c, g, cmd) => {
        const o = cmd.opts<{ from?: string; to?: string; maHoSo?: string; wait: boolean }>();
        return reconcileStart(c, g, o);
      }),
    );
  reconcile
    .command('status')
    .description('figures of a reconciliation run')
    .argument('<id>', 'the run id, as printed by reconcile start')
    .option('--watch', 'follow the run with a progress bar until it is done')
    .action(run((c, g, cmd) => reconcileStatus(c, g, cmd.args[0]!, Boolean(cmd.opts<{ watch?: boolean }>().watch))));
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    if (e instanceof CliError) console.error(`error: ${e.message}`);
    else console.error(`error: ${(e as Error)?.message ?? String(e)}`);
    process.exitCode = 1;
  });
