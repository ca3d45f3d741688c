/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Real processes and real Redis: give slow CI machines room, and run files in two workers (2 cores).
  testTimeout: 60000,
  maxWorkers: 2,
};
