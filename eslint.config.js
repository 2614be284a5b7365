// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Node built-in modules, imported with or without the `node:` prefix. */
const nodeBuiltins = [
  'assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events',
  'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process',
  'readline', 'stream', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

/** Runtime-neutral code may not reach for Node-only modules or globals (ARCHITECTURE.md, decision 1). */
const runtimeNeutral = {
  'no-restricted-imports': ['error', {
    paths: nodeBuiltins.map((name) => ({ name, message: 'Node-only: move this code to a *.node.ts file.' })),
    patterns: [
      { group: ['node:*'], message: 'Node-only: move this code to a *.node.ts file.' },
      { group: ['pino', 'libsql', '@hono/node-server', '@hono/node-server/*'], message: 'Node-only package: use it from a *.node.ts file.' },
    ],
  }],
  'no-restricted-globals': ['error',
    { name: 'process', message: 'Node-only: pass configuration in through factory deps.' },
    { name: 'Buffer', message: 'Use Uint8Array and src/core/bytes.ts.' },
    { name: '__dirname', message: 'Node-only.' },
    { name: '__filename', message: 'Node-only.' },
    { name: 'require', message: 'ESM only.' },
    { name: 'setImmediate', message: 'Node-only: use queueMicrotask or setTimeout.' },
  ],
};

/** Layering (ARCHITECTURE.md, "Layers and their rooms"): arrows point down, never up. */
// Node-only files: drivers and sinks named *.node.ts, and the Node entry ARCHITECTURE.md names gateway/node.ts.
const nodeFiles = ['src/**/*.node.ts', 'src/**/*.node.test.ts', 'src/**/*.workerd.ts', 'src/gateway/node.ts'];
// Tests (and their helpers) may import any folder: they run engines on the reference storage, and so on.
const testFiles = ['src/**/*.test.ts', 'src/**/*.case.ts', 'src/**/test-*.ts'];
const layer = (folder, forbidden, allowed = []) => {
  const layering = forbidden.map((f) => {
    const message = `src/${folder} may not import src/${f} (layering, ARCHITECTURE.md).`;
    const exceptions = allowed.filter((a) => a.startsWith(`${f}/`)).map((a) => a.slice(f.length + 1));
    // A sub-folder allowed through (e.g. native-engines/framework) needs a regex: globs cannot re-include below an excluded folder.
    return exceptions.length === 0
      ? { group: [`**/${f}/**`, `**/${f}`, `**/${f}/index.js`], message }
      : { regex: `(^|/)${f}(/(?!(${exceptions.join('|')})/)|$)`, message };
  });
  const neutral = runtimeNeutral['no-restricted-imports'][1];
  return [
    {
      files: [`src/${folder}/**/*.ts`],
      ignores: [...nodeFiles, ...testFiles],
      rules: { 'no-restricted-imports': ['error', { paths: neutral.paths, patterns: [...neutral.patterns, ...layering] }] },
    },
    {
      files: nodeFiles.filter((g) => g.startsWith('src/**')).map((g) => g.replace('src/**', `src/${folder}/**`)),
      ignores: testFiles,
      rules: { 'no-restricted-imports': ['error', { patterns: layering }] },
    },
  ];
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error',
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'Use crypto.getRandomValues through the Runtime port.' },
        { selector: 'TSEnumDeclaration', message: 'Use string-literal unions, not enum.' },
      ],
    },
  },
  // Runtime-neutral source: everything under src/ except *.node.ts / *.workerd.ts entries and drivers.
  {
    files: ['src/**/*.ts'],
    ignores: [...nodeFiles, 'src/cli/**'],
    languageOptions: { globals: { ...globals['shared-node-browser'] } },
    rules: runtimeNeutral,
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/*.case.ts'],
    rules: { 'no-restricted-syntax': ['error',
      { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'Use crypto.getRandomValues through the Runtime port.' },
      { selector: 'TSEnumDeclaration', message: 'Use string-literal unions, not enum.' },
      { selector: 'TSAsExpression > TSAsExpression[typeAnnotation.type="TSUnknownKeyword"]', message: 'No `as unknown as` in src/.' },
    ] },
  },
  ...layer('core', ['gateway', 'auth', 'policy', 'router', 'cache', 'providers', 'native-engines', 'leases', 'barrier', 'storage', 'audit', 'cli']),
  ...layer('storage', ['gateway', 'auth', 'policy', 'router', 'cache', 'providers', 'native-engines', 'leases', 'barrier', 'audit', 'cli']),
  ...layer('barrier', ['gateway', 'auth', 'policy', 'router', 'cache', 'providers', 'native-engines', 'leases', 'audit', 'cli']),
  ...layer('router', ['gateway', 'auth', 'policy', 'cache', 'providers', 'native-engines', 'leases', 'barrier', 'storage', 'audit', 'cli']),
  ...layer('cache', ['gateway', 'auth', 'policy', 'router', 'providers', 'native-engines', 'leases', 'barrier', 'storage', 'audit', 'cli']),
  // Auth methods declare their role and config paths with the engine framework (docs/decisions/0007).
  ...layer('auth', ['gateway', 'policy', 'router', 'cache', 'providers', 'native-engines', 'leases', 'barrier', 'storage', 'audit', 'cli'], ['native-engines/framework']),
  ...layer('policy', ['gateway', 'auth', 'router', 'cache', 'providers', 'native-engines', 'leases', 'barrier', 'storage', 'audit', 'cli']),
  ...layer('audit', ['gateway', 'auth', 'policy', 'router', 'cache', 'providers', 'native-engines', 'leases', 'barrier', 'cli']),
  // Providers mount through the engine framework, like auth methods (docs/decisions/0010).
  ...layer('providers', ['gateway', 'auth', 'policy', 'router', 'cache', 'native-engines', 'leases', 'barrier', 'storage', 'audit', 'cli'], ['native-engines/framework']),
  ...layer('native-engines', ['gateway', 'auth', 'policy', 'router', 'cache', 'providers', 'leases', 'storage', 'audit', 'cli']),
  // Cloud connection glue shared by providers and the KMS seals (src/cloud/index.ts): core only.
  ...layer('cloud', ['gateway', 'auth', 'policy', 'router', 'cache', 'providers', 'native-engines', 'leases', 'barrier', 'storage', 'audit', 'cli']),
);
