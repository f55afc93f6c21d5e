import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const cloudImports = ['@aws-sdk/*', 'aws-lambda', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', '@middy/*', 'cdk-nag'];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.keygate/', 'coverage/', 'packages/*/dist/', 'console/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The domain core stays free of cloud SDKs, Lambda types and CDK (CONVENTIONS.md).
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: cloudImports, message: 'core/ must not import cloud SDKs, aws-lambda, middy or CDK: add a port in core/ports.ts and an adapter.' }] }],
    },
  },
  {
    // Handlers and adapters never reach into CDK.
    files: ['lambdas/**/*.ts', 'adapters/**/*.ts', 'local/**/*.ts', 'cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'], message: 'runtime code must not import CDK.' }] }],
    },
  },
);
