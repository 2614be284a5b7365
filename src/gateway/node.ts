/**
 * The Node entry: `npm start`. Reads the configuration, opens SQLite storage and the seals
 * it names (the dev key file in the data directory by default; Shamir; AWS KMS, GCP Cloud
 * KMS, Azure Key Vault). With only dev key-file seals it initialises on first start (writing
 * the root token to a 0600 file); otherwise the store waits for `sys/init` (or
 * `keygate operator init`). Later starts unseal automatically with KMS and dev seals,
 * retrying while a KMS is unreachable, or wait for Shamir shares. Serves the app on the
 * configured address; readiness (`/health`) answers 503 while sealed.
 */

import { createRequire } from 'node:module';
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createServer } from 'node:http';
import { pino } from 'pino';
import { createWebRuntime, isGatewayError } from '../core/index.js';
import type { Logger, ManagedStorage } from '../core/index.js';
import { createAuditSinkFactories } from '../audit/sinks/index.node.js';
import { createNodeAuditDigests } from '../audit/digests.node.js';
import { createTlsFetch } from '../auth/methods/tls-fetch.node.js';
import { createBarrier } from '../barrier/index.js';
import { createNodeAesGcm } from '../barrier/aes-gcm.node.js';
import type { SealDefinition } from '../barrier/index.js';
import { loadOrCreateDevKeyFile, createDevKeyFileSeal } from '../barrier/seals/dev-key-file.node.js';
import { awsKmsSeal } from '../barrier/seals/awskms/index.js';
import { azureKeyVaultSeal } from '../barrier/seals/azurekeyvault/index.js';
import { gcpKmsSeal } from '../barrier/seals/gcpckms/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { writePrivateFileAtomic } from '../storage/private-files.node.js';
import { createSqliteStorage } from '../storage/sqlite.node.js';
import { createApp } from './app.js';
import { createExchanges } from './exchange.js';
import { createNodeListener } from './fast-path.node.js';
import { ConfigError, sealName } from './config.js';
import { createSealSetup } from './seals.js';
import { USAGE, UsageError, loadConfig, parseArgs } from './config.node.js';
import { createKeygateCore, engineRegistry } from './keygate.js';
import { awsSecretsManagerProvider } from '../providers/aws/index.js';
import { azureKeyVaultProvider } from '../providers/azure/index.js';
import { gcpSecretManagerProvider } from '../providers/gcp/index.js';

/** The KMS seal types this entry offers. */
const SEAL_DEFINITIONS: readonly SealDefinition[] = [awsKmsSeal, gcpKmsSeal, azureKeyVaultSeal];

function sealRegistry(definitions: readonly SealDefinition[]): Record<string, SealDefinition> {
  return Object.fromEntries(definitions.map((d) => [d.type, d]));
}

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** A running gateway, for tests and embedding: its address and a way to stop it. */
export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

/** Starts Keygate from command-line arguments and the environment. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<RunningGateway> {
  const engines = engineRegistry([awsSecretsManagerProvider, azureKeyVaultProvider, gcpSecretManagerProvider]);
  const sealTypes = sealRegistry(SEAL_DEFINITIONS);
  const resolved = await loadConfig(argv, env, process.cwd(), engines, sealTypes);
  const { config, paths } = resolved;
  const logger: Logger = pino({
    level: config.log.level,
    base: { service: 'keygate', pid: process.pid },
    // Belt and braces: nothing logs headers or bodies, but if someone ever does, these are cut.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-vault-token"]', '*.token', '*.key', '*.password'], censor: '[redacted]' },
  });
  const runtime = createWebRuntime({ logger, tlsFetch: (options) => createTlsFetch(options) });

  await ensurePrivateDir(paths.dataDir);
  const storage: ManagedStorage =
    config.storage.type === 'memory' ? createMemoryStorage() : await createSqliteStorage({ path: paths.database, logger });
  if (config.storage.type === 'memory') logger.warn('storage type "memory": every secret is lost when the process exits');

  // Dev key files are read before the seal setup is built (a factory cannot await); one is
  // created only for a seal the store does not hold yet, never over an existing store's key.
  const record = await createBarrier({ storage, runtime }).record().catch(() => null);
  const devKeys = new Map<string, Uint8Array>();
  for (const stanza of config.seal.filter((s) => s.type === 'dev-key-file')) {
    const keyPath = path.resolve(paths.dataDir, typeof stanza.path === 'string' ? stanza.path : 'seal.key');
    const known = record?.entries.some((e) => e.name === sealName(stanza)) ?? false;
    const { key, created } = await loadOrCreateDevKeyFile(keyPath, { create: !known });
    if (created) logger.info({ path: keyPath }, 'created the dev seal key file (development only: use a KMS seal in production)');
    devKeys.set(sealName(stanza), key);
  }
  const seals = createSealSetup(config, {
    runtime,
    definitions: sealTypes,
    local: (stanza) => ({
      wrapper: createDevKeyFileSeal(devKeys.get(sealName(stanza)) ?? new Uint8Array(0), runtime),
      fromKey: (submitted) => (submitted.length === 32 ? createDevKeyFileSeal(submitted, runtime) : null),
    }),
  });

  const core = createKeygateCore({
    config,
    storage,
    runtime,
    version,
    seals,
    engines,
    auditSinks: createAuditSinkFactories({ runtime }),
    // node:crypto fast paths (PERFORMANCE.md): same bytes as the WebCrypto defaults, no thread-pool hop.
    aesGcm: createNodeAesGcm(),
    auditDigests: createNodeAuditDigests(),
    auditSpoolRoot: path.join(paths.dataDir, 'audit-spool'),
    onRootToken: async (token) => {
      await writePrivateFileAtomic(paths.rootToken, `${token}\n`);
      logger.info({ path: paths.rootToken }, 'root token written (mode 0600); use it as: Authorization: Bearer $(cat <path>)');
    },
  });
  await core.start();

  const exchanges = createExchanges(core);
  const app = createApp(core, exchanges);
  const { hostname, port } = splitListen(config.listen);
  const server = createServer(createNodeListener(core, app, exchanges, hostname));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${boundPort}`;
  logger.info({ url, data_dir: paths.dataDir, config: resolved.source, version }, `Keygate listening on ${url}`);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost' && hostname !== '::1') {
    logger.warn({ hostname }, 'listening beyond loopback without TLS: put a TLS-terminating proxy in front');
  }

  // logrotate and friends send SIGHUP after moving the audit file away.
  const onHangup = () => {
    core.audit.reopen().then(
      () => logger.info('audit files reopened'),
      () => logger.warn('audit files could not be reopened'),
    );
  };
  process.on('SIGHUP', onHangup);

  return {
    url,
    close: async () => {
      process.off('SIGHUP', onHangup);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await core.close();
    },
  };
}

function splitListen(listen: string): { hostname: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon);
  return { hostname: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(listen.slice(colon + 1)) };
}

/** Creates the data directory (0700) or checks an existing one is a directory. */
async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (!info.isDirectory()) throw new Error(`${dir} is not a directory`);
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href;
if (isEntry) {
  const argv = process.argv.slice(2);
  let running: RunningGateway | undefined;
  const stop = (signal: string) => {
    process.stderr.write(`keygate: ${signal}, shutting down\n`);
    const done = running?.close() ?? Promise.resolve();
    done.then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  try {
    if (parseArgs(argv).help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    running = await main(argv, process.env);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`keygate: ${err.message}\n`);
    else if (err instanceof UsageError) process.stderr.write(`keygate: ${err.message}\n${USAGE}`);
    else if (isGatewayError(err)) {
      const details = (err.details ?? []).map((d) => `\n  - ${d.field}: ${d.reason}`).join('');
      process.stderr.write(`keygate: failed to start (${err.code}): ${err.message}${details}\n`);
    } else process.stderr.write(`keygate: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}


