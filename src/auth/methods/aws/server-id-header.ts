/**
 * The server-id header: a header the client must include in the signed STS request, whose
 * value names this Keygate. Because it is covered by the signature, a signed request made
 * for another service (or another Keygate) cannot be replayed here.
 */

/** Keygate's own header name. */
export const SERVER_ID_HEADER = 'x-keygate-aws-iam-server-id';

/** Vault's header name, accepted too so that Vault clients (CLI, SDKs) work unchanged. */
export const VAULT_SERVER_ID_HEADER = 'x-vault-aws-iam-server-id';

/** Both accepted names, lower-case. */
export const SERVER_ID_HEADERS: readonly string[] = [SERVER_ID_HEADER, VAULT_SERVER_ID_HEADER];
