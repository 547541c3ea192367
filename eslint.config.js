// @ts-check
import { defineConfig } from 'eslint/config';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/** Everything in src/ that is not one of `keep` (dirs or files relative to src/). */
const srcExcept = (...keep) => ({ from: 'src', except: keep.map((k) => `./${k}`) });

export default defineConfig(
  { ignores: ['node_modules/', 'data/', '.bench/'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bin/**/*.js'],
    extends: [tseslint.configs.recommended],
  },
  {
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    // Import boundaries between the layers of src/.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            {
              target: 'src/core',
              ...srcExcept('core'),
              message: 'src/core is the bottom layer: it may not import anything else in src/.',
            },
            {
              target: 'src/config',
              ...srcExcept('core', 'config'),
              message: 'src/config may import only src/core.',
            },
            {
              target: ['src/store/sqlite', 'src/store/postgres'],
              from: ['src/intake', 'src/decide', 'src/apply', 'src/cli', 'src/api', 'src/web', 'src/admin', 'src/pipeline.ts', 'src/runner.ts'],
              message: 'Store backends may not depend on the pipeline stages, the CLI, or the runner.',
            },
            {
              target: ['src/intake', 'src/decide', 'src/apply'],
              from: ['src/store/sqlite', 'src/store/postgres', 'src/cli', 'src/api', 'src/web', 'src/admin', 'src/main.ts'],
              message:
                'Pipeline stages use the store interface only, never a concrete backend, the CLI, or main.',
            },
            {
              target: 'src/decide',
              from: 'src/apply',
              message: 'src/decide may not import src/apply.',
            },
            {
              target: 'src/apply',
              from: 'src/intake',
              message: 'src/apply may not import src/intake.',
            },
            {
              target: ['src/cli', 'src/api', 'src/admin', 'src/web'],
              from: ['src/store/sqlite', 'src/store/postgres'],
              message:
                'The faces (src/cli, src/api, src/web, src/admin) may not import a concrete store backend (src/store/sqlite, src/store/postgres).',
            },
            {
              target: ['src/admin', 'src/api', 'src/web'],
              from: 'src/cli',
              message: 'src/admin, src/api and src/web may not import the CLI.',
            },
          ],
        },
      ],
    },
  },
);
