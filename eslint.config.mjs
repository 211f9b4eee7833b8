// Lint: typescript-eslint's recommended rules, and Nx's module boundaries, which encode the
// dependency rules of the architecture (see docs/architecture.md):
// - type: apps compose the platform and libs; only the platform lib binds adapters; domain libs
//   see ports, never adapters; ports see only shared libs.
// - scope: a service sees its own scope and the shared one; services never import each other.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const services = ['gateway', 'indexer', 'storage', 'reports', 'router', 'audit'];

// `testsMayUseAdapters`: a domain lib's tests run it on the real embedded adapters (no mocks), so
// in spec files, and only there, a lib may import an adapter.
const boundaries = (testsMayUseAdapters) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:platform', 'type:lib', 'type:port'] },
      { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:adapter', 'type:port', 'type:lib'] },
      { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:port', 'type:lib'] },
      { sourceTag: 'type:port', onlyDependOnLibsWithTags: ['type:lib', 'type:port'] },
      {
        sourceTag: 'type:lib',
        onlyDependOnLibsWithTags: ['type:lib', 'type:port', ...(testsMayUseAdapters ? ['type:adapter'] : [])],
      },
      ...scopeConstraints,
    ],
  },
];

const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ...services.map((s) => ({ sourceTag: `scope:${s}`, onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared'] })),
  {
    sourceTag: 'scope:pacs',
    onlyDependOnLibsWithTags: ['scope:pacs', 'scope:shared', ...services.map((s) => `scope:${s}`)],
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.nx/', 'data/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries(false),
    },
  },
  {
    // Contract suites and tests may reach a lib's testing entry point.
    files: ['**/*.spec.ts', '**/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(true),
    },
  },
);
