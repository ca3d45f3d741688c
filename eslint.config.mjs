// Lint enforces the layers' dependency direction: each folder may import only what the
// architecture allows, so a wrong-way import fails CI instead of slowly eroding the layers.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ban = (...groups) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: groups.map((group) => ({
        group,
        message: 'dependency direction: this folder may not import that layer (see eslint.config.mjs)',
      })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/wire/**'],
    rules: ban([
      '**/tls/**',
      '**/router/**',
      '**/agent/**',
      '**/registry/**',
      '**/acl/**',
      '**/forward/**',
      '**/api/**',
      '**/cli/**',
      '**/config/**',
      'express',
    ]),
  },
  { files: ['src/agent/**'], rules: ban(['**/router/**', '**/forward/**', '**/api/**', '**/cli/**']) },
  {
    files: ['src/registry/**'],
    rules: ban([
      '**/acl/**',
      '**/router/**',
      '**/agent/**',
      '**/forward/**',
      '**/api/**',
      '**/cli/**',
      'express',
    ]),
  },
  {
    files: ['src/acl/**'],
    rules: ban(['express', '**/router/**', '**/agent/**', '**/forward/**', '**/api/**', '**/cli/**']),
  },
  {
    // The HTTP edge both roles share: framing, server limits, body reading. Below every role.
    files: ['src/edge/**'],
    rules: ban([
      '**/router/**',
      '**/agent/**',
      '**/forward/**',
      '**/registry/**',
      '**/acl/**',
      '**/api/**',
      '**/cli/**',
      'express',
    ]),
  },
  {
    files: ['src/quota/**'],
    rules: ban([
      '**/router/**',
      '**/agent/**',
      '**/registry/**',
      '**/acl/**',
      '**/forward/**',
      '**/api/**',
      '**/cli/**',
      '**/config/**',
      'express',
    ]),
  },
  { files: ['src/forward/**'], rules: ban(['**/agent/**', '**/router/**', '**/api/**', '**/cli/**']) },
  { files: ['src/router/**'], rules: ban(['**/agent/**', '**/api/**', '**/cli/**']) },
  {
    files: ['src/api/**'],
    rules: ban(['**/agent/**', '**/router/**', '**/forward/**', '**/registry/**', '**/cli/**', 'express']),
  },
  // The web UI runs in a browser: from the server's sources it may share only the modules that
  // are plain data and pure functions (route table, capability names, the ACL evaluator, the log
  // resume arithmetic), never anything that needs Node, Express or the registry.
  {
    files: ['ui/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./)+src/(?!wire/(capabilities|routes|types)$|acl/(acl|authorize|policy-expand|types)$|wire/follow/resume$)',
              message: 'the browser bundle may import only pure, Node-free modules from src/',
            },
          ],
        },
      ],
    },
  },
  { files: ['ui/*.mjs'], languageOptions: { globals: { process: 'readonly' } } },
  {
    files: ['src/tls/**'],
    rules: ban([
      '**/router/**',
      '**/agent/**',
      '**/registry/**',
      '**/acl/**',
      '**/forward/**',
      '**/api/**',
      '**/cli/**',
      'express',
    ]),
  },
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
