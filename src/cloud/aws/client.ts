/**
 * AWS SDK v3 client settings, in the SDK's config shape but without importing it: every
 * Keygate client (Secrets Manager, STS for an assumed role, KMS) is built from these.
 * Builds nothing and calls nothing; the SDK resolves what is left out (region, endpoint,
 * credentials) from its standard environment when the client first sends.
 */

/** Static credentials in the SDK's shape. */
export interface AwsStaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The credentials `accessKeyId` and `secretAccessKey` (and `sessionToken`) make; undefined when either of the pair is missing. */
export function awsStaticCredentials(accessKeyId: string | undefined, secretAccessKey: string | undefined, sessionToken?: string): AwsStaticCredentials | undefined {
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
}

/** What a client needs from Keygate; undefined fields are left to the SDK's environment. */
export interface AwsClientSettingsInput<C> {
  /** The SDK's attempts per call (1: no SDK retries; Keygate's own middleware retries). */
  maxAttempts: number;
  /** Backstops of the Node HTTP handler under the caller's signal: time to connect, and to the whole answer. */
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  region?: string | undefined;
  endpoint?: string | undefined;
  credentials?: C | undefined;
}

/** SDK client settings (`KMSClientConfig`, `SecretsManagerClientConfig`, STS `clientConfig`). */
export interface AwsClientSettings<C> {
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
  region?: string;
  endpoint?: string;
  credentials?: C;
}

/** SDK client settings from `input`, leaving out every field that is undefined. */
export function awsClientSettings<C>(input: AwsClientSettingsInput<C>): AwsClientSettings<C> {
  return {
    maxAttempts: input.maxAttempts,
    requestHandler: { connectionTimeout: input.connectionTimeoutMs, requestTimeout: input.requestTimeoutMs },
    ...(input.region === undefined ? {} : { region: input.region }),
    ...(input.endpoint === undefined ? {} : { endpoint: input.endpoint }),
    ...(input.credentials === undefined ? {} : { credentials: input.credentials }),
  };
}
