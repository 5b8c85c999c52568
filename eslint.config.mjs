// Type-aware lint for every project, plus Nx module boundaries:
// services may import libs (never each other); libs only import lower layers; tools (the CLI)
// import contracts and domain libs.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', '**/*.mjs', '**/assembly/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // An enabled async hook costs every promise of the process on Node 20 (ADR 0031).
      'no-restricted-imports': [
        'error',
        ...['async_hooks', 'node:async_hooks', '@opentelemetry/context-async-hooks'].map(
          (name) => ({
            name,
            message: 'no AsyncLocalStorage or async hooks: pass a MessageContext (ADR 0031)',
          }),
        ),
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'layer:contracts', onlyDependOnLibsWithTags: [] },
            {
              sourceTag: 'layer:domain',
              onlyDependOnLibsWithTags: ['layer:contracts', 'layer:domain'],
            },
            {
              sourceTag: 'layer:infra',
              onlyDependOnLibsWithTags: ['layer:contracts', 'layer:domain', 'layer:infra'],
            },
            {
              sourceTag: 'layer:testing',
              onlyDependOnLibsWithTags: [
                'layer:contracts',
                'layer:domain',
                'layer:infra',
                'layer:testing',
              ],
            },
            {
              sourceTag: 'type:service',
              onlyDependOnLibsWithTags: ['layer:contracts', 'layer:domain', 'layer:infra'],
            },
            // Command-line tools run on a user's machine: pure libs only, never a service.
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: ['layer:contracts', 'layer:domain'],
            },
            {
              sourceTag: 'type:composition',
              onlyDependOnLibsWithTags: [
                'layer:contracts',
                'layer:domain',
                'layer:infra',
                'type:service',
              ],
            },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: [
                'layer:contracts',
                'layer:domain',
                'layer:infra',
                'layer:testing',
              ],
            },
          ],
        },
      ],
    },
  },
  {
    // Specs, their helpers and fixtures of any project may use the testing lib.
    files: ['**/*.spec.ts', '**/*.spec-helper.ts', '**/*.fixture.ts', '**/testing/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          depConstraints: [
            {
              sourceTag: 'layer:infra',
              onlyDependOnLibsWithTags: [
                'layer:contracts',
                'layer:domain',
                'layer:infra',
                'layer:testing',
              ],
            },
            {
              sourceTag: 'layer:domain',
              onlyDependOnLibsWithTags: ['layer:contracts', 'layer:domain', 'layer:testing'],
            },
            {
              sourceTag: 'type:service',
              onlyDependOnLibsWithTags: [
                'layer:contracts',
                'layer:domain',
                'layer:infra',
                'layer:testing',
              ],
            },
            { sourceTag: '*', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    files: [
      '**/*.spec.ts',
      '**/*.spec-helper.ts',
      '**/*.e2e.ts',
      '**/*.cases.ts',
      '**/testing/**/*.ts',
      '**/support/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
