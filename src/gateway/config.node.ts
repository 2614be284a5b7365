/**
 * Reads the configuration on Node: `--config` or `KEYGATE_CONFIG` names a YAML file; the
 * environment overrides it (`KEYGATE_DATA_DIR`, `KEYGATE_LISTEN`, `KEYGATE_LOG_LEVEL`);
 * defaults fill the rest. Relative paths resolve against the working directory.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfig } from './config.js';
import type { Config } from './config.js';
import type { EngineDefinition } from '../native-engines/index.js';
import type { SealDefinition } from '../barrier/index.js';

export interface ResolvedConfig {
  config: Config;
  /** Where the configuration came from, for messages. */
  source: string;
  /** Absolute paths derived from the configuration. */
  paths: { dataDir: string; database: string; rootToken: string };
}

export const USAGE = `usage: keygate [--config <file.yaml>]

Environment:
  KEYGATE_CONFIG      configuration file (same as --config)
  KEYGATE_DATA_DIR    data directory (default ./.keygate)
  KEYGATE_LISTEN      host:port to listen on (default 127.0.0.1:8080)
  KEYGATE_LOG_LEVEL   trace | debug | info | warn | error | fatal | silent
`;

/** Thrown for bad command-line arguments; the entry prints it with the usage text. */
export class UsageError extends Error {}

/** Parses argv (after `node script`) into a config file path; `--help` yields `help`. */
export function parseArgs(argv: readonly string[]): { configFile?: string; help: boolean } {
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--config') {
      const next = argv[++i];
      if (next === undefined || next === '') throw new UsageError('--config needs a file path');
      configFile = next;
    } else if (arg.startsWith('--config=')) {
      configFile = arg.slice('--config='.length);
      if (configFile === '') throw new UsageError('--config needs a file path');
    } else {
      throw new UsageError(`unknown argument: ${arg.slice(0, 64)}`);
    }
  }
  return configFile === undefined ? { help: false } : { configFile, help: false };
}

/**
 * Loads, merges and validates the configuration. Throws `ConfigError` naming each bad
 * field (or the unreadable file) so the entry can print it and exit non-zero.
 */
export async function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  engines?: Readonly<Record<string, EngineDefinition>>,
  seals?: Readonly<Record<string, SealDefinition>>,
): Promise<ResolvedConfig> {
  const { configFile } = parseArgs(argv);
  const file = configFile ?? (env.KEYGATE_CONFIG === '' ? undefined : env.KEYGATE_CONFIG);
  let raw: Record<string, unknown> = {};
  let source = 'defaults';
  if (file !== undefined) {
    source = path.resolve(cwd, file);
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? String(err.code) : 'error';
      throw new ConfigError(source, [{ field: '(file)', reason: `cannot read the file (${code})` }]);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text, { prettyErrors: false, maxAliasCount: 100 });
    } catch (err) {
      // The first line only: YAML errors quote the offending line, which is nobody's business in a log.
      const first = err instanceof Error ? (err.message.split('\n')[0] ?? 'invalid YAML') : 'invalid YAML';
      throw new ConfigError(source, [{ field: '(file)', reason: `not valid YAML: ${first}` }]);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ConfigError(source, [{ field: '(root)', reason: 'the file must hold a mapping (key: value pairs)' }]);
      }
      raw = { ...(parsed as Record<string, unknown>) };
    }
  }
  if (env.KEYGATE_DATA_DIR) raw.data_dir = env.KEYGATE_DATA_DIR;
  if (env.KEYGATE_LISTEN) raw.listen = env.KEYGATE_LISTEN;
  if (env.KEYGATE_LOG_LEVEL) {
    const log = typeof raw.log === 'object' && raw.log !== null ? { ...(raw.log as Record<string, unknown>) } : {};
    raw.log = { ...log, level: env.KEYGATE_LOG_LEVEL };
  }
  const config = parseConfig(raw, source, engines, seals);
  const dataDir = path.resolve(cwd, config.data_dir);
  return {
    config,
    source,
    paths: {
      dataDir,
      database: path.resolve(dataDir, config.storage.type === 'sqlite' && config.storage.path !== undefined ? config.storage.path : 'keygate.db'),
      rootToken: path.join(dataDir, 'root-token'),
    },
  };
}
