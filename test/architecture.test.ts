/** The dependency rules of DESIGN.md are enforced by the lint step; this proves the rules still bite. */
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
