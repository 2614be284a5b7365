/** The AWS method's typed declaration kit, mount options, and the context every handler sees. */

import { z } from 'zod';
import { engineKit } from '../../../native-engines/framework/index.js';
import type { HandlerContext, PathContext } from '../../../native-engines/framework/index.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, requestTimeoutSchema } from '../request-timeout.js';

/** Mount options: the bound on the STS call a login makes. */
export const awsOptionsSchema = z.strictObject({
  request_timeout: requestTimeoutSchema.default(DEFAULT_REQUEST_TIMEOUT_MS),
});

/** Validated AWS mount options. */
export type AwsOptions = z.output<typeof awsOptionsSchema>;

/** The AWS method keeps no per-mount state beyond its storage. */
export type AwsState = Record<string, never>;

/** The declaration helpers bound to the AWS method's options and state. */
export const aws = engineKit<AwsOptions, AwsState>();

/** What every AWS handler receives, whatever its body and query. */
export type AwsContext<Body = unknown, Query = unknown> = HandlerContext<AwsOptions, AwsState, Body, Query>;

/** What the AWS method's existence checks receive. */
export type AwsPathContext = PathContext<AwsOptions, AwsState>;
