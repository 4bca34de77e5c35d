/** The Lua command loader (src/sync/scripts.ts): file names, includes, and a command defined twice. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCommands, SYNC_COMMANDS_DIR } from '../src/sync/scripts.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function folder(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'gw-lua-'));
  mkdirSync(join(dir, 'includes'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadCommands', () => {
  it('names each command after its file and expands each include once', () => {
    const d = folder({ 'includes/shared.lua': 'local function shared() return 1 end', 'take-lease-2.lua': '--- @include "includes/shared"\n--- @include "includes/shared"\nreturn shared()' });
    expect(loadCommands(d)).toEqual([{ name: 'gwTakeLease', numberOfKeys: 2, lua: 'local function shared() return 1 end\n\nreturn shared()' }]);
  });

  it('refuses two files of one command, such as a stale copy after its number of keys changed', () => {
    const d = folder({ 'accept-7.lua': 'return 1', 'accept-8.lua': 'return 2' });
    expect(() => loadCommands(d)).toThrow(/command gwAccept is also defined by accept-7\.lua/);
  });

  it('loads the sync engine commands, every one with its Input/Output header', () => {
    const commands = loadCommands(SYNC_COMMANDS_DIR);
    expect(commands.map((c) => c.name)).toEqual(['gwAccept', 'gwBegin', 'gwReconcile', 'gwRelease', 'gwRenew', 'gwReplay', 'gwSettle']);
    for (const c of commands) expect(c.lua).toMatch(/Input:[\s\S]*Output:/);
  });
});
