/** Store errors in logs: ioredis attaches the failed command's arguments to its errors; no log line shows them. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('info', 'test', sink) };
}

function replyError(): Error {
  const e = new Error("OOM command not allowed when used memory > 'maxmemory'.") as Error & { command?: unknown };
  e.name = 'ReplyError';
  e.command = { name: 'evalsha', args: ['0123abcd', '2', 'gw:dossier:X', '{"ChuHoSo":"Trần Văn Riêng","SoDinhDanh":"001099012345"}'] };
  return e;
}

describe('logged store errors', () => {
  it('keep the command name and message, never the arguments, under any key and as a cause', () => {
    const { lines, logger } = capture();
    const e = replyError();
    logger.error({ err: e }, 'a');
    logger.warn({ failure: e }, 'b');
    logger.error({ err: new Error('could not accept', { cause: e }) }, 'c');
    logger.error(e, 'd');
    const text = lines.join('');
    expect(lines).toHaveLength(4);
    expect(text).not.toContain('001099012345');
    expect(text).not.toContain('Trần Văn Riêng');
    expect(text).not.toContain('gw:dossier:X');
    expect(JSON.parse(lines[0]!).err).toMatchObject({ name: 'ReplyError', message: expect.stringContaining('OOM'), command: { name: 'evalsha' } });
    expect(JSON.parse(lines[1]!).failure.command).toEqual({ name: 'evalsha' });
  });
});
