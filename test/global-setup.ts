/**
 * Builds `dist/` once before the suites that start the real Node entry (`npm start` runs the
 * same build), so they test exactly what a user runs.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function setup(): void {
  // Targeted runs of unit tests can skip it: KEYGATE_SKIP_BUILD=1 npx vitest run src/…
  if (process.env.KEYGATE_SKIP_BUILD === '1') return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
