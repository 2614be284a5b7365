/**
 * gRPC errors as Google's services send them: a status code, a message, and (for throttling)
 * a `google.rpc.Status` with a `google.rpc.RetryInfo` detail in the `grpc-status-details-bin`
 * trailer (https://cloud.google.com/apis/design/errors#error_details). The few protobuf
 * messages involved are encoded by hand, so the double needs no protobuf runtime of its own.
 */

import { Metadata, status } from '@grpc/grpc-js';
import type { ServerErrorResponse } from '@grpc/grpc-js';

/** The gRPC status names a handler may answer with. */
export type StatusName = Exclude<keyof typeof status, 'OK'>;

/** An error a handler throws to answer the call with `code`. */
export class RpcError extends Error {
  constructor(
    readonly code: StatusName,
    message: string,
    readonly retryDelayMs?: number,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function field(number: number, wire: 0 | 2, payload: number | bigint | Uint8Array): number[] {
  const key = varint((number << 3) | wire);
  if (wire === 0 && typeof payload !== 'object') return [...key, ...varint(payload)];
  const bytes = payload instanceof Uint8Array ? [...payload] : [];
  return [...key, ...varint(bytes.length), ...bytes];
}

/** `google.rpc.Status { code, message, details: [Any(RetryInfo)] }`, protobuf-encoded. */
export function encodeRetryStatus(code: number, message: string, retryDelayMs: number): Uint8Array {
  const seconds = Math.floor(retryDelayMs / 1000);
  const nanos = (retryDelayMs % 1000) * 1_000_000;
  const duration = new Uint8Array([...(seconds > 0 ? field(1, 0, seconds) : []), ...(nanos > 0 ? field(2, 0, nanos) : [])]);
  const retryInfo = new Uint8Array(field(1, 2, duration));
  const anyMessage = new Uint8Array([...field(1, 2, new TextEncoder().encode('type.googleapis.com/google.rpc.RetryInfo')), ...field(2, 2, retryInfo)]);
  return new Uint8Array([...field(1, 0, code), ...field(2, 2, new TextEncoder().encode(message)), ...field(3, 2, anyMessage)]);
}

/** The error object a grpc-js unary callback takes for `err`. Anything but `RpcError` is INTERNAL. */
export function toServerError(err: unknown): Partial<ServerErrorResponse> {
  if (!(err instanceof RpcError)) return { code: status.INTERNAL, details: 'internal error in the Keygate GCP double' };
  const code = status[err.code];
  const metadata = new Metadata();
  if (err.retryDelayMs !== undefined) {
    metadata.set('grpc-status-details-bin', Buffer.from(encodeRetryStatus(code, err.message, err.retryDelayMs)));
  }
  return { code, details: err.message, metadata };
}
