// ESLint (flat config) with type information, run in CI by `npm run lint`.
// Besides the recommended rules: promises are never dropped or passed where a callback's
// result is ignored, workflows stay inside the Temporal sandbox, and the lower layers (db/,
// domain/) import nothing from the layers above them (docs/architecture.md, Layers).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Forbidden imports as typescript-eslint's no-restricted-imports patterns. */
const restrictImports = (patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'ui/dist/', '.data/', '.tools/', 'backups/', 'test/histories/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises that the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox and is bundled on its own.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([
        {
          regex: '^(?!@temporalio/workflow$|\\.\\./domain/|\\./)',
          allowTypeImports: true,
          message:
            'workflows/ run in the Temporal sandbox: import only @temporalio/workflow, domain/ and workflows/ (anything else as `import type`).',
        },
      ]),
    },
  },
  {
    files: ['db/**/*.ts', 'domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([
        {
          regex: '^(\\.\\./)+(api|activities|workflows|emails|worker)/',
          message:
            'db/ and domain/ are the lower layers: they import nothing from api/, activities/, workflows/, emails/ or worker/ (types included).',
        },
      ]),
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([
        {
          regex: '^(\\.\\./)+(api|activities|workflows|emails|worker|db)/',
          message:
            'domain/ holds pure types and rules: it imports nothing from db/, api/, activities/, workflows/, emails/ or worker/ (types included).',
        },
      ]),
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
