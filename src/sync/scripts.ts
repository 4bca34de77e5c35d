/**
 * Loads the Lua commands of a folder the way BullMQ does: one file per command, named
 * `<name>-<numberOfKeys>.lua`, whose `--- @include "path"` lines are replaced by the named file
 * (relative to the including file, `.lua` implied, each file once), and defines each on an ioredis
 * client as `gw<Name>` (and `gw<Name>Buffer`). Every key a command touches is passed in KEYS, so the
 * commands run unchanged on Redis Cluster when the prefix is a hash tag (`QUEUE_PREFIX={gw}`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

export interface LuaCommand {
  /** The ioredis command name, e.g. `gwAccept` for `accept-8.lua`. */
  name: string;
  numberOfKeys: number;
  lua: string;
}

const INCLUDE = /^--- @include "([^"]+)"\s*$/gm;
const FILE = /^([a-z][a-z0-9-]*?)-(\d+)\.lua$/;

/** The sync engine's commands (src/sync/commands). */
export const SYNC_COMMANDS_DIR = fileURLToPath(new URL('./commands', import.meta.url));

function expand(file: string, seen: Set<string>, stack: string[]): string {
  if (stack.includes(file)) throw new Error(`Lua include cycle: ${[...stack, file].join(' → ')}`);
  const text = readFileSync(file, 'utf8');
  return text.replace(INCLUDE, (_line, path: string) => {
    const target = resolve(dirname(file), path.endsWith('.lua') ? path : `${path}.lua`);
    if (seen.has(target)) return '';
    seen.add(target);
    return expand(target, seen, [...stack, file]);
  });
}

function commandName(base: string): string {
  return 'gw' + base.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** Every `<name>-<keys>.lua` of `dir` (not its sub-folders, which hold includes), with includes expanded. */
export function loadCommands(dir: string): LuaCommand[] {
  const seen = new Map<string, string>();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .sort()
    .map((f) => {
      const match = FILE.exec(f);
      if (!match) throw new Error(`${join(dir, f)}: a Lua command file is named <name>-<numberOfKeys>.lua`);
      const name = commandName(match[1]!);
      // Two files of one command (a stale copy after its number of keys changed) must not run the wrong one.
      const other = seen.get(name);
      if (other) throw new Error(`${join(dir, f)}: command ${name} is also defined by ${other}`);
      seen.set(name, f);
      return { name, numberOfKeys: Number(match[2]), lua: expand(join(dir, f), new Set(), []) };
    });
}

/** Defines each command on the client once (a client shared by several stores keeps the first definition). */
export function defineCommands(redis: Redis, commands: readonly LuaCommand[]): void {
  for (const c of commands) {
    if (typeof (redis as unknown as Record<string, unknown>)[c.name] === 'function') continue;
    redis.defineCommand(c.name, { numberOfKeys: c.numberOfKeys, lua: c.lua });
  }
}

let syncCommands: LuaCommand[] | undefined;

export function defineSyncCommands(redis: Redis): void {
  syncCommands ??= loadCommands(SYNC_COMMANDS_DIR);
  defineCommands(redis, syncCommands);
}
