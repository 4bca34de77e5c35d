// Copies the files the compiled gateway reads at run time (WSDL, dashboard, SQL migrations, Lua commands)
// next to the compiled code.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const assets = ['adapters/dancu-soap/fixtures', 'src/ops/dashboard', 'src/sync/commands', 'src/lookup/commands', 'src/records/migrations', 'schemas'];
const compiled = /\.(js|js\.map|d\.ts)$/;

/** Assets of an earlier build whose source is gone (a Lua command renamed, say): removed, so they cannot be loaded. */
function removeStale(sourceDir, builtDir) {
  if (!existsSync(builtDir)) return;
  for (const entry of readdirSync(builtDir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || compiled.test(entry.name)) continue;
    const built = join(entry.parentPath, entry.name);
    if (!existsSync(join(sourceDir, relative(builtDir, built)))) rmSync(built);
  }
}

for (const dir of assets) {
  removeStale(dir, `dist/${dir}`);
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
