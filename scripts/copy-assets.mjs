// Copies the files the compiled gateway reads at run time (WSDL, dashboard) next to the compiled code.
import { cpSync, existsSync } from 'node:fs';

const assets = ['adapters/dancu-soap/fixtures', 'src/ops/dashboard', 'src/sync/commands'];
for (const dir of assets) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
