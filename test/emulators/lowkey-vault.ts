/**
 * The Azure Key Vault emulator for tests (TESTING.md). `startLowkeyVault()` runs Lowkey Vault
 * (the executable jar `com.github.nagyesta.lowkey-vault:lowkey-vault-app`, fetched by
 * `scripts/fetch-lowkey-vault.sh` into `.tmp/lowkey-vault/`, or named by `LOWKEY_VAULT_JAR`)
 * on a free loopback port when the jar and Java are there; otherwise it starts the in-repo
 * HTTPS double of the secrets and keys APIs (`key-vault-double.ts`), because the Maven Central this
 * project reaches does not serve the jar (docs/decisions/0011-azure-emulator.md).
 * `KEYGATE_AZURE_EMULATOR=lowkey-vault` insists on the jar, `=double` on the double.
 *
 * What a test gets is the same either way: the vault URL, the self-signed certificate to
 * trust, a `TokenCredential` that hands out a dummy token (so no default credential chain
 * ever runs), and `stop()`, which ends the server (the JVM by its PID).
 */

import { spawn, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from 'node:tls';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { freePort } from './free-port.js';
import { CRYPTO_SERVICE_ENCRYPTION_USER_ACTIONS, startKeyVaultDouble } from './key-vault-double.js';
import type { QueuedFault, SeedKeyOptions, SeededKey } from './key-vault-double.js';

/** A running Azure Key Vault emulator. */
export interface AzureKeyVaultEmulator {
  kind: 'lowkey-vault' | 'double';
  /** `https://127.0.0.1:<port>` (no trailing slash). */
  vaultUrl: string;
  /** The certificate the emulator presents (self-signed), PEM. */
  caPem: string;
  /** Returns a dummy bearer token the emulator accepts. */
  credential: TokenCredential;
  /** A credential whose token authenticates but holds no role (double only; null on Lowkey Vault, which checks no roles). */
  forbiddenCredential: TokenCredential | null;
  /** A credential whose token the vault rejects (double only). */
  invalidCredential: TokenCredential | null;
  /** Queues faults (throttling, 5xx, hangs) for the next requests (double only; null on Lowkey Vault). */
  queueFaults: ((...faults: QueuedFault[]) => void) | null;
  /** Request ids the emulator sent (double only; empty on Lowkey Vault). */
  requestIds: readonly string[];
  /**
   * A credential holding only the role Key Vault Crypto Service Encryption User (keys read,
   * wrap, unwrap) on the double; on Lowkey Vault, which checks no roles, the accepted one.
   */
  cryptoUserCredential: TokenCredential;
  /** Creates a key version without a request (double only; null on Lowkey Vault: use a `KeyClient`). */
  seedKey: ((name: string, options?: SeedKeyOptions) => Promise<SeededKey>) | null;
  /** Values the emulator puts in its error messages, as Azure does, for canary tests (double only). */
  canaries: { tenantId: string; vaultName: string } | null;
  stop(): Promise<void>;
}

/** The one line printed (or thrown, under `KEYGATE_TEST_REQUIRE_ALL=1`) when no emulator can run. */
export const AZURE_EMULATOR_MISSING_HINT = 'get Lowkey Vault with `bash scripts/fetch-lowkey-vault.sh` (needs Java 17 and Maven), or install openssl (apt-get install -y openssl) for the in-repo double';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** A credential that returns a fixed token: never reaches Microsoft Entra ID. */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

function commandWorks(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The Lowkey Vault jar, if one is there: `LOWKEY_VAULT_JAR`, else the newest `.tmp/lowkey-vault/lowkey-vault-app-*.jar`. */
export function findLowkeyVaultJar(): string | null {
  const fromEnv = process.env.LOWKEY_VAULT_JAR;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : null;
  const dir = join(repoRoot, '.tmp', 'lowkey-vault');
  if (!existsSync(dir)) return null;
  const jars = readdirSync(dir).filter((f) => /^lowkey-vault-app-.*\.jar$/.test(f)).sort();
  const last = jars.at(-1);
  return last === undefined ? null : join(dir, last);
}

/**
 * Which emulator `startLowkeyVault()` will start, or why none can run (one line, saying what
 * is missing and how to get it). Synchronous, so suites can decide to skip before they start.
 */
export function azureEmulatorAvailability(): { kind: 'lowkey-vault' | 'double' } | { missing: string } {
  const wanted = process.env.KEYGATE_AZURE_EMULATOR;
  const jar = findLowkeyVaultJar();
  const java = jar !== null && commandWorks('java', ['-version']);
  if (wanted !== 'double' && jar !== null && java) return { kind: 'lowkey-vault' };
  if (wanted === 'lowkey-vault') {
    return { missing: jar === null ? 'the Lowkey Vault jar is missing: run `bash scripts/fetch-lowkey-vault.sh` or set LOWKEY_VAULT_JAR' : 'Java is missing: apt-get install -y openjdk-17-jre-headless' };
  }
  if (commandWorks('openssl', ['version'])) return { kind: 'double' };
  return { missing: `no Azure Key Vault emulator: ${AZURE_EMULATOR_MISSING_HINT}` };
}

/**
 * For suites: null when an emulator can run; else prints the one skip line and returns it,
 * or throws under `KEYGATE_TEST_REQUIRE_ALL=1` (CI), where a skip must be a failure.
 */
export function azureEmulatorSkipReason(suite: string): string | null {
  const availability = azureEmulatorAvailability();
  if ('kind' in availability) return null;
  if (process.env.KEYGATE_TEST_REQUIRE_ALL === '1') throw new Error(`${suite}: ${availability.missing} (required: KEYGATE_TEST_REQUIRE_ALL=1)`);
  console.warn(`${suite}: skipped: ${availability.missing}`);
  return availability.missing;
}

/** Connects with TLS and returns the peer's certificate as PEM (the self-signed one Lowkey Vault serves). */
function peerCertificatePem(port: number): Promise<string> {
  return new Promise((resolvePem, reject) => {
    // Verification is off for this one connection only: its purpose is to learn the certificate to pin.
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      const b64 = raw.toString('base64').replace(/(.{64})/g, '$1\n');
      resolvePem(`-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`);
    });
    socket.once('error', reject);
  });
}

/** Lists the TCP ports process `pid` listens on that are not on loopback (needs `ss`; empty when it is missing). */
function nonLoopbackListeners(pid: number): string[] {
  try {
    const out = execFileSync('ss', ['-H', '-ltnp'], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter((line) => line.includes(`pid=${pid},`))
      .map((line) => line.trim().split(/\s+/)[3] ?? '')
      .filter((local) => local !== '' && !local.startsWith('127.') && !local.startsWith('[::1]'));
  } catch {
    return [];
  }
}

async function startJar(jar: string): Promise<AzureKeyVaultEmulator> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'java',
    ['-Xmx384m', '-jar', jar, `--server.port=${port}`, '--server.address=127.0.0.1', '--LOWKEY_VAULT_NAMES=-', '--LOWKEY_DEBUG_REQUEST_LOG=false', '--logging.level.root=WARN'],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: false },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 90_000;
  let caPem = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Lowkey Vault exited during start-up (${child.exitCode}): ${stderr}`);
    try {
      // Spring opens the port once the application context is up: a TLS handshake is readiness.
      caPem = await peerCertificatePem(port);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  if (caPem === '') {
    await stop();
    throw new Error('Lowkey Vault did not start within 90 s');
  }
  const exposed = child.pid === undefined ? [] : nonLoopbackListeners(child.pid);
  if (exposed.length > 0) {
    await stop();
    throw new Error(`Lowkey Vault listened beyond loopback (${exposed.join(', ')}): refusing to run it this way (TESTING.md)`);
  }
  return {
    kind: 'lowkey-vault',
    vaultUrl: `https://127.0.0.1:${port}`,
    caPem,
    credential: staticTokenCredential('keygate-test-token'),
    forbiddenCredential: null,
    invalidCredential: null,
    queueFaults: null,
    requestIds: [],
    cryptoUserCredential: staticTokenCredential('keygate-test-token'),
    seedKey: null,
    canaries: null,
    stop,
  };
}

/**
 * Starts the emulator (see the module comment for which). Throws with the missing tool's
 * name when neither can run; suites check `azureEmulatorSkipReason` first.
 */
export async function startLowkeyVault(): Promise<AzureKeyVaultEmulator> {
  const availability = azureEmulatorAvailability();
  if (!('kind' in availability)) throw new Error(availability.missing);
  if (availability.kind === 'lowkey-vault') {
    const jar = findLowkeyVaultJar();
    if (jar !== null) return startJar(jar);
  }
  const token = 'keygate-test-token';
  const cryptoUserToken = 'keygate-crypto-user-token';
  const tenantId = randomUUID();
  const vaultName = 'keygate-double';
  const double = await startKeyVaultDouble({
    acceptedTokens: [token],
    forbiddenTokens: ['keygate-no-role-token'],
    tokenDataActions: { [cryptoUserToken]: CRYPTO_SERVICE_ENCRYPTION_USER_ACTIONS },
    tenantId,
    vaultName,
  });
  return {
    kind: 'double',
    vaultUrl: double.vaultUrl,
    caPem: double.caPem,
    credential: staticTokenCredential(token),
    forbiddenCredential: staticTokenCredential('keygate-no-role-token'),
    invalidCredential: staticTokenCredential('keygate-wrong-issuer-token'),
    queueFaults: double.queueFaults,
    requestIds: double.requestIds,
    cryptoUserCredential: staticTokenCredential(cryptoUserToken),
    seedKey: double.seedKey,
    canaries: { tenantId, vaultName },
    stop: double.stop,
  };
}
