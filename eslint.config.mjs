// Lint enforces the dependency direction between src/ folders (lint/layers.mjs): each folder
// names what it may import, so a wrong-way import fails CI instead of slowly eroding the layers,
// and because the table below has no cycle, neither can the folders. test/unit/lint checks that
// every rule here reports on a fixture that breaks it.
import js from '@eslint/js';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import local from './lint/layers.mjs';

const SRC = fileURLToPath(new URL('./src/', import.meta.url));

/**
 * The layers, bottom up: each src/ folder and the folders it may import (files directly in src/,
 * such as errors.ts, are open to all). Only the routers, the agent, the kernel and the CLI may
 * use Express.
 */
const NO_EXPRESS = ['express'];
export const LAYERS = {
  // Data and pure functions: the wire format, the log-file rules, stream quotas, logging setup.
  wire: { may: [], notPackages: NO_EXPRESS },
  quota: { may: [], notPackages: NO_EXPRESS },
  log: { may: [], notPackages: NO_EXPRESS },
  config: { may: ['wire'], notPackages: NO_EXPRESS },
  // The HTTP edge both roles share (framing, server limits, body reading) and the registry.
  edge: { may: ['config', 'wire', 'log'], notPackages: NO_EXPRESS },
  registry: { may: ['config', 'wire', 'log'], notPackages: NO_EXPRESS },
  tls: { may: ['config', 'edge', 'wire', 'log'], notPackages: NO_EXPRESS },
  // ACL evaluation stays pure: no HTTP, no audit logging (that is the kernel's).
  acl: { may: ['config', 'log', 'registry', 'wire'], notPackages: NO_EXPRESS },
  // The request kernel both roles run; it is handed the role's steps, it does not import roles.
  http: { may: ['acl', 'config', 'edge', 'log', 'wire'] },
  forward: { may: ['config', 'edge', 'log', 'tls', 'wire'], notPackages: NO_EXPRESS },
  // The typed client speaks the wire format only.
  api: { may: ['wire'], notPackages: NO_EXPRESS },
  agent: { may: ['acl', 'config', 'edge', 'http', 'log', 'quota', 'registry', 'tls', 'wire'] },
  router: { may: ['acl', 'config', 'edge', 'forward', 'http', 'log', 'quota', 'registry', 'tls', 'wire'] },
  cli: {
    may: [
      'acl',
      'agent',
      'api',
      'config',
      'edge',
      'forward',
      'http',
      'log',
      'quota',
      'registry',
      'router',
      'tls',
      'wire',
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.js', '*.mjs', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { fleetgate: local },
    rules: {
      'fleetgate/layers': ['error', { srcRoot: SRC, table: LAYERS }],
      'fleetgate/no-outside-citations': 'error',
    },
  },
  // The web UI runs in a browser: from the server's sources it may share only the modules that
  // are plain data and pure functions (route table, capability names, prototype-less maps, the
  // ACL evaluator, the log resume arithmetic), never anything that needs Node, Express or the
  // registry.
  {
    files: ['ui/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./)+src/(?!wire/(capabilities|dict|routes|types)$|acl/(acl|authorize|policy-expand|types)$|wire/follow/resume$)',
              message: 'the browser bundle may import only pure, Node-free modules from src/',
            },
          ],
        },
      ],
    },
  },
  { files: ['ui/*.mjs'], languageOptions: { globals: { process: 'readonly' } } },
  { files: ['test/**', 'bench/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
  // Baseline servers the benchmarks start as plain `node` processes: CommonJS, no framework.
  {
    files: ['bench/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
