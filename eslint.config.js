// @ts-check
// `npm run lint` runs ESLint (this file) and `prettier --check`. Layout is Prettier's (.prettierrc.json); the rules
// here catch bugs and keep the packer's boundary (lint/boundary.js).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { boundary } from './lint/boundary.js';

export default defineConfig(
  globalIgnores([
    '**/dist/',
    'coverage/',
    'bench/.work/',
    '.demo/',
    'studio-web/test-artifacts/',
    'fixtures/sample-game/',
    'fixtures/sample-game-divergent/',
  ]),
  {
    name: 'packer/base',
    files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      // `typeof import('…')` stays allowed: tests type vi.mock's importOriginal with it, and lazy loads use it.
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
      // Matching control characters is deliberate here (terminal text, file names, JSON whitespace).
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Prettier wraps code at 120; this catches the comments it cannot wrap. Strings stay whole, so a message can
      // be found by searching for it.
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true },
      ],
    },
  },
  {
    // Rules that need types: one program over every package's sources and tests (tsconfig.eslint.json), since the
    // packages' own tsconfigs leave tests out. About 45 s for the whole repository on two cores.
    name: 'packer/typed',
    files: ['**/*.{ts,tsx}'],
    languageOptions: { parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    name: 'packer/browser',
    files: ['studio-web/src/**'],
    languageOptions: { globals: globals.browser },
  },
  ...boundary,
);
