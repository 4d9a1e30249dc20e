// Lint with import boundaries (style.md §12): pure cores import only core/, the SDK imports no Node module,
// the emulator never borrows the product's ESL code, and nothing outside main.ts opens listeners or the DB.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const onlyCore = {
  patterns: [
    {
      group: [
        '**/esl/**',
        '**/api/**',
        '**/db/**',
        '**/stomp/**',
        '**/storage/**',
        '**/dialer/**',
        '**/calls/**',
        '**/agents/**',
      ],
      message: 'pure state machines import only core/ (style.md §2, §12)',
    },
    {
      group: ['node:*', 'better-sqlite3', 'drizzle-orm', 'drizzle-orm/*', 'fastify', 'ws'],
      message: 'pure modules do no I/O',
    },
  ],
};

export default tseslint.config(
  // This file lives in scripts/ (the repository's top level is fixed); patterns are relative to the root.
  { basePath: '..' },
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'dist/**',
      '.tap/**',
      'test-output/**',
      'src/db/migrations/**',
      'public/sdk/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['src/calls/flows/**/*.ts', 'src/dialer/pacing/**/*.ts', 'src/agents/state*.ts'],
    rules: { 'no-restricted-imports': ['error', onlyCore] },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '!../core/*'],
              message: 'core/ is the vocabulary: it imports nothing else of ours',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/sdk/**/*.ts'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', navigator: 'readonly' } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'net', 'path', 'os', 'http', 'crypto'],
              message: 'the SDK runs in the browser: no Node modules',
            },
            { group: ['../*', '!../sdk/*'], message: 'the SDK is self-contained' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/freeswitch-emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/**'],
              message: 'the emulator has its own wire code and never imports the product',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
