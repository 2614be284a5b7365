/** gRPC status codes, as Google's client libraries report them on an error's `code`. Runtime-neutral. */

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status name (`UNAVAILABLE`). */
export type GrpcStatusName = keyof typeof GRPC_STATUS;

/** Status names by code. */
const NAMES: readonly GrpcStatusName[] = (Object.keys(GRPC_STATUS) as GrpcStatusName[]).sort((a, b) => GRPC_STATUS[a] - GRPC_STATUS[b]);

/** The gRPC status code of `err` when it is one of the known codes; null when it has none (a failure before the call). */
export function grpcStatusOf(err: unknown): number | null {
  const code = typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code < NAMES.length ? code : null;
}

/** The status name of `err` for logs (`UNAVAILABLE`), `none` when it has no known gRPC status. */
export function grpcStatusName(err: unknown): GrpcStatusName | 'none' {
  const code = grpcStatusOf(err);
  return code === null ? 'none' : (NAMES[code] ?? 'none');
}
