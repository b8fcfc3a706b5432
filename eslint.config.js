// ESLint flat config: typescript-eslint strict rules, no Date.now/setTimeout outside the clock,
// no deep imports across modules (each module's index.ts is its public surface).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const modules = ['core', 'worker', 'dependency', 'state', 'cluster', 'multiwatcher', 'presence', 'follower', 'relation', 'api', 'client', 'cli', 'agent', 'dashboard', 'testing'];

const timeGlobals = [
  { name: 'setTimeout', message: 'Use the injected Clock (clock.setTimeout).' },
  { name: 'setInterval', message: 'Use the injected Clock (clock.setTimeout, re-armed).' },
  { name: 'clearTimeout', message: 'Cancel the TimerHandle from the injected Clock.' },
  { name: 'clearInterval', message: 'Cancel the TimerHandle from the injected Clock.' },
];
const timeProperties = [
  { object: 'Date', property: 'now', message: 'Use clock.now() from the injected Clock.' },
  { object: 'performance', property: 'now', message: 'Use clock.now() from the injected Clock.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.bench.ts', 'src/**/bench/**', 'src/dashboard/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-invalid-void-type': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
      'no-restricted-globals': ['error', ...timeGlobals],
      'no-restricted-properties': ['error', ...timeProperties],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use clock.now() from the injected Clock.' }],
      'no-restricted-imports': ['error', {
        patterns: [{
          // Another module's files are reached only through its index.ts (or its testing/index.ts).
          regex: `^(?:\\.\\./)+(?:${modules.join('|')})/(?!index\\.js$|testing/index\\.js$).+`,
          message: 'Import another module through its index.ts (its public surface), or its testing/index.ts.',
        }],
      }],
    },
  },
  {
    // Tests and benchmarks drive real time only where they measure it; they may use the time globals.
    files: ['src/**/*.test.ts', 'src/testing/**', 'src/**/testdata/**'],
    rules: {
      'no-restricted-globals': 'off', 'no-restricted-properties': 'off', 'no-restricted-syntax': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
