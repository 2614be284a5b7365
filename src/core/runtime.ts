/**
 * The `Runtime` port: everything a subsystem needs from its host (clock, randomness,
 * WebCrypto, fetch, logging), passed in so that code runs on Node and Workers alike and
 * tests can substitute a fixed clock.
 */

/** Structured logger, pino-compatible. Log objects must never contain secret values. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  debug(msg: string): void;
  info(obj: object, msg?: string): void;
  info(msg: string): void;
  warn(obj: object, msg?: string): void;
  warn(msg: string): void;
  error(obj: object, msg?: string): void;
  error(msg: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface Runtime {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array<ArrayBuffer>;
  /** RFC 4122 version-4 UUID from a secure source. */
  randomUUID(): string;
  readonly subtle: SubtleCrypto;
  readonly fetch: typeof fetch;
  /**
   * A fetch that trusts `caPem` (PEM bundle) instead of the public CAs, for private
   * endpoints such as a Kubernetes API server. Absent where the runtime cannot (Workers);
   * callers then refuse configurations that need it.
   */
  readonly tlsFetch?: (options: { caPem: string }) => typeof fetch;
  readonly logger: Logger;
}

/** A logger that drops everything (tests, and code paths before logging is wired). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/**
 * A runtime over the Web-standard globals (`crypto`, `fetch`, `Date`), present on Node ≥ 20
 * and Workers. Any member can be overridden, e.g. `now` in tests.
 */
export function createWebRuntime(overrides: Partial<Runtime> = {}): Runtime {
  const webCrypto = globalThis.crypto;
  return {
    now: () => Date.now(),
    randomBytes: (length: number) => {
      const out = new Uint8Array(length);
      // getRandomValues fills at most 65,536 bytes per call.
      for (let offset = 0; offset < length; offset += 65_536) {
        webCrypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
      }
      return out;
    },
    randomUUID: () => webCrypto.randomUUID(),
    subtle: webCrypto.subtle,
    fetch: (input, init) => globalThis.fetch(input, init),
    logger: silentLogger,
    ...overrides,
  };
}
