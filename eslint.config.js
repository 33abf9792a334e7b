// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/** Layer rules: which layers a layer must not import. */
const forbid = (/** @type {string[]} */ layers, /** @type {string} */ why) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: layers.map((l) => ({ group: [`**/${l}/**`, `**/${l}`], message: why })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'web/dist/**', '.cortical/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      'import-x/no-cycle': ['error', { maxDepth: 10 }],
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use string unions, not enums.' }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // JSON responses under test are untyped by nature.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'core is pure: no Node.js builtins.' },
            { group: ['**/services/**', '**/adapters/**', '**/interfaces/**', '**/main/**', '**/contract/**'], message: 'core imports only core.' },
            { regex: '^[^.]', message: 'core is pure: no packages.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'setTimeout', 'setInterval'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use the Clock port.' },
        { object: 'Math', property: 'random', message: 'Use the IdGenerator port.' },
      ],
    },
  },
  {
    files: ['src/contract/**/*.ts'],
    rules: forbid(['services', 'adapters', 'interfaces', 'main'], 'contract imports only core and zod.'),
  },
  {
    files: ['src/services/**/*.ts'],
    ignores: ['src/services/**/*.test.ts'],
    rules: forbid(['adapters', 'interfaces', 'main'], 'services see ports only.'),
  },
  {
    files: ['src/adapters/**/*.ts'],
    ignores: ['src/adapters/**/*.test.ts'],
    rules: forbid(['services', 'interfaces', 'main'], 'adapters implement ports; they do not call services.'),
  },
  {
    files: ['src/interfaces/**/*.ts'],
    ignores: ['src/interfaces/**/*.test.ts'],
    rules: forbid(['main', 'adapters'], 'interfaces translate protocols into service calls.'),
  },
  {
    // The web dashboard talks to HQ over HTTP only: no server code (the contract's types at most).
    files: ['web/**/*.{ts,tsx}'],
    rules: {
      // Cycles among the dashboard's own modules; packages (vite, react) are not followed.
      'import-x/no-cycle': ['error', { maxDepth: 10, ignoreExternal: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src/**', '!**/src/contract/**'], message: 'web calls the API by path; it imports nothing from src/ but src/contract.' },
            { group: ['node:*'], message: 'web runs in the browser: no Node.js builtins.' },
          ],
        },
      ],
    },
  },
  {
    files: ['web/**/*.test.{ts,tsx}', 'web/src/test/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain Node.js programs run as child processes (fake agents, the script agent's program).
    files: ['**/*.mjs', 'bin/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
  },
);
