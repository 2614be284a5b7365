/**
 * Option schemas every AWS client of Keygate shares: region, endpoint, and the parts of
 * static credentials. Each caller names and describes the fields in its own schema (Vault's
 * stanza names for the `awskms` seal, mount option names for `aws-secrets-manager`).
 *
 * The parsed output is itself valid input (the endpoint transform is idempotent), so
 * persisted options can be re-validated at every start.
 */

import { z } from 'zod';
import { canonicalOrigin, isLoopbackHost, originSchema } from '../endpoints.js';

/** AWS's region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `us-isob-east-1`. */
export const AWS_REGION = /^[a-z]{2}(-[a-z]+){1,2}-[0-9]{1,2}$/;

/** A region name (without `.optional()` or a description: the caller adds them). */
export const awsRegionSchema = z.string().regex(AWS_REGION);

/**
 * The canonical endpoint (`scheme://host[:port]`), or null when it is not acceptable: https
 * with no credentials, path, query or fragment, or http to a loopback host (an emulator).
 */
export function canonicalAwsEndpoint(text: string): string | null {
  return canonicalOrigin(text, isLoopbackHost);
}

/** A custom endpoint (VPC endpoint, FIPS endpoint, emulator), canonicalised by `canonicalAwsEndpoint`. */
export const awsEndpointSchema = originSchema(canonicalAwsEndpoint, 'must be an https URL with no path, query or credentials (http only for loopback hosts)');

/** An access key id of static credentials. */
export const awsAccessKeyIdSchema = z.string().regex(/^[A-Za-z0-9_]{1,128}$/);

/** A secret access key of static credentials (the caller marks it write-only). */
export const awsSecretAccessKeySchema = z.string().min(1).max(1024);

/** A session token of temporary static credentials (the caller marks it write-only). */
export const awsSessionTokenSchema = z.string().min(1).max(8192);
