// Copies the files the compiled gateway reads at run time (WSDL, dashboard, SQL migrations) next to the compiled code.
import { cpSync, existsSync } from 'node:fs';

const assets = ['adapters/dancu-soap/fixtures', 'src/ops/dashboard', 'src/sync/commands', 'src/records/migrations', 'schemas'];
for (const dir of assets) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
