import tseslint from 'typescript-eslint';

const infrastructure = ['express', 'bullmq', 'ioredis', 'axios', 'soap', 'opossum', 'fast-xml-parser', 'pg', 'pino', 'prom-client'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // The core stays free of infrastructure: domain rules and ports know nothing of transports.
    files: ['src/domain/**/*.ts', 'src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: infrastructure.map((name) => ({ name, message: 'src/domain and src/ports import no infrastructure.' })),
          patterns: [
            { group: infrastructure.map((n) => `${n}/*`), message: 'src/domain and src/ports import no infrastructure.' },
            { group: ['**/adapters/**', '**/adapters'], message: 'src/domain and src/ports import no adapter.' },
          ],
        },
      ],
    },
  },
  {
    // Only the HTTP layer knows express; only sync/ runs the queue (others may name its types).
    files: ['src/**/*.ts'],
    ignores: ['src/http/**', 'src/sync/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'express', message: 'Only src/http imports express.' },
            { name: 'bullmq', message: 'Only src/sync uses the queue library; import its types with `import type`.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    files: ['src/sync/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'express', message: 'Only src/http imports express.' }] }],
    },
  },
  {
    files: ['scripts/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'adapters/**/simulator.ts', 'adapters/**/*.test.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
