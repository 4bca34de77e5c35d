/** The dependency rules of DESIGN.md are enforced by the lint step; this proves the rules still bite. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId?.endsWith('no-restricted-imports')).map((m) => m.message);
}

describe('architecture rules', () => {
  it('keep infrastructure and adapters out of src/domain and src/ports', async () => {
    for (const name of ['express', 'bullmq', 'ioredis', 'axios', 'soap', 'opossum']) {
      expect(await violations('src/domain/probe.ts', `import x from '${name}';\nexport const y = x;\n`)).not.toEqual([]);
      expect(await violations('src/ports/probe.ts', `import x from '${name}';\nexport const y = x;\n`)).not.toEqual([]);
    }
    expect(await violations('src/domain/probe.ts', `import { x } from '../../adapters/dvcqg/index.js';\nexport const y = x;\n`)).not.toEqual([]);
  });

  it('keep express in src/http and the queue library in src/sync', async () => {
    expect(await violations('src/ops/probe.ts', `import express from 'express';\nexport const y = express;\n`)).not.toEqual([]);
    expect(await violations('src/ops/probe.ts', `import { Queue } from 'bullmq';\nexport const y = Queue;\n`)).not.toEqual([]);
    expect(await violations('src/ops/probe.ts', `import type { Queue } from 'bullmq';\nexport type Y = Queue;\n`)).toEqual([]);
    expect(await violations('src/http/probe.ts', `import express from 'express';\nexport const y = express;\n`)).toEqual([]);
  });
});

/** Relative imports of every module of src/ and adapters/ (type-only ones included: a cycle of types is a cycle of design). */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) files.push(path);
    }
  };
  walk('src');
  walk('adapters');
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const deps: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm)) {
      const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
      if (existsSync(target)) deps.push(relative(process.cwd(), target));
    }
    graph.set(file, deps);
  }
  return graph;
}

describe('module graph', () => {
  it('has no import cycles', () => {
    const graph = importGraph();
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string) => {
      state.set(node, 'open');
      stack.push(node);
      for (const dep of graph.get(node) ?? []) {
        if (state.get(dep) === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep].join(' -> '));
        else if (!state.has(dep)) visit(dep);
      }
      stack.pop();
      state.set(node, 'done');
    };
    for (const node of graph.keys()) if (!state.has(node)) visit(node);
    expect(cycles).toEqual([]);
  });

  it('the core never imports a sector source by name: only the composition root and config read the list', () => {
    const sourceFolders = readdirSync('adapters').filter((d) => existsSync(join('adapters', d, 'source.ts')));
    expect(sourceFolders.length).toBeGreaterThanOrEqual(3);
    const offenders: string[] = [];
    for (const [file, deps] of importGraph()) {
      if (!file.startsWith('src/')) continue;
      for (const dep of deps) if (sourceFolders.some((d) => dep.startsWith(`adapters/${d}/`))) offenders.push(`${file} -> ${dep}`);
    }
    expect(offenders).toEqual([]);
  });

  it('every adapter index.ts exports a factory, its options type and a simulator starter', () => {
    for (const dir of readdirSync('adapters').filter((d) => existsSync(join('adapters', d, 'simulator.ts')))) {
      const text = readFileSync(join('adapters', dir, 'index.ts'), 'utf8');
      expect(text, dir).toMatch(/export (async )?function create\w+/);
      expect(text, dir).toMatch(/export (interface|type) \w+Options\b|export type \{[^}]*\b\w+Options\b/);
      expect(text, dir).toMatch(/start\w+Simulator/);
    }
  });
});
