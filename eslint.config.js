import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const extensionless = '[source.value=/^[.](?!.*[.](ts|tsx|js|mjs|json|css|wasm|png|svg)$)/]';
const relativeImportRules = ['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration', 'ImportExpression'].map((node) => ({
  selector: `${node}${extensionless}`,
  message: 'Relative imports name the file with its extension (./x.ts).',
}));

export default tseslint.config(
  { ignores: ['dist/', 'data/', 'node_modules/', 'public/', 'test-results/', 'playwright-report/', '.cache/', 'train/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // One import style: relative imports name the file with its extension, as Node's ESM does.
      'no-restricted-syntax': ['error', ...relativeImportRules],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
);
