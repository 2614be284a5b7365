/**
 * A gRPC server on 127.0.0.1 (a free port) that hosts in-repo doubles of Google Cloud services,
 * each built from the `.proto` files the official client package ships (TESTING.md: Google
 * publishes no emulator for Secret Manager or Cloud KMS). A service is a name, its protos and
 * a table of unary handlers; Secret Manager is one (`secret-manager.ts`), and Cloud KMS can be
 * added to the same server later the same way.
 *
 * Every call goes through fault injection first (`faults.ts`), honours client cancellation,
 * and answers handler failures (`RpcError`) with Google's status codes.
 */

import { createRequire } from 'node:module';
import path from 'node:path';
import { Server, ServerCredentials, credentials as channelCredentials } from '@grpc/grpc-js';
import type { ChannelCredentials, Metadata, ServerUnaryCall, UntypedHandleCall, sendUnaryData } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createFaults, faultError } from './faults.js';
import type { Faults } from './faults.js';
import { RpcError, toServerError } from './status.js';
import { sleep } from '../../../src/core/index.js';

/** What a handler gets besides the request. */
export interface CallContext {
  /** Aborted when the client cancels the call (or its deadline passes). */
  signal: AbortSignal;
  metadata: Metadata;
}

/** A unary method: the request as proto-loader decodes it (snake_case keys, int64 as strings). */
export type UnaryHandler = (request: Record<string, unknown>, ctx: CallContext) => object | Promise<object>;

/** One Google service hosted by the double. */
export interface DoubleService {
  /** Fully-qualified service name, e.g. `google.cloud.secretmanager.v1.SecretManagerService`. */
  name: string;
  /** The service's proto file, relative to `includeDirs`. */
  protoFile: string;
  includeDirs: readonly string[];
  /** Handlers by method name; methods without one answer UNIMPLEMENTED. */
  handlers: Readonly<Record<string, UnaryHandler>>;
}

export interface GcpDouble {
  host: '127.0.0.1';
  port: number;
  faults: Faults;
  /** Client options for Google's Node clients: plaintext gRPC to this server. */
  clientOptions(): { apiEndpoint: string; port: number; sslCreds: ChannelCredentials };
  /** Stops the server, cancelling calls in flight. */
  stop(): Promise<void>;
}

/**
 * Include directories for the protos inside a Google Cloud client package
 * (`@google-cloud/secret-manager`, `@google-cloud/kms`): its own `build/protos` and those of the
 * `google-gax` it depends on (google/api, google/iam, google/rpc, …).
 */
export function googleProtoDirs(packageName: string): string[] {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve(`${packageName}/package.json`);
  const gaxMain = createRequire(packageJson).resolve('google-gax');
  return [path.join(path.dirname(packageJson), 'build', 'protos'), path.resolve(path.dirname(gaxMain), '..', 'protos')];
}

const abortError = () => new RpcError('CANCELLED', 'the call was cancelled');

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, signal, abortError);
}

/** Starts a server hosting `services` on 127.0.0.1 and a free port. */
export async function startGcpDouble(services: readonly DoubleService[]): Promise<GcpDouble> {
  const faults = createFaults();
  const server = new Server();
  for (const service of services) {
    const definitions = loadSync(service.protoFile, {
      includeDirs: [...service.includeDirs],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
    });
    const definition = definitions[service.name];
    if (definition === undefined || 'format' in definition) throw new Error(`${service.name} is not a service in ${service.protoFile}`);
    const shortName = service.name.split('.').pop() ?? service.name;
    const implementation: Record<string, UntypedHandleCall> = {};
    for (const [method, handler] of Object.entries(service.handlers)) {
      if (!(method in definition)) throw new Error(`${service.name} has no method ${method}`);
      implementation[method] = (call: ServerUnaryCall<Record<string, unknown>, object>, callback: sendUnaryData<object>) => {
        const controller = new AbortController();
        let answered = false;
        call.on('cancelled', () => {
          if (!answered) faults.noteCancelled(method);
          controller.abort();
        });
        const run = async (): Promise<object> => {
          const rule = faults.take(shortName, method);
          if (rule?.delayMs !== undefined) await pause(rule.delayMs, controller.signal);
          const injected = rule === null ? null : faultError(rule);
          if (injected !== null) throw injected;
          return handler(call.request, { signal: controller.signal, metadata: call.metadata });
        };
        run().then(
          (response) => {
            answered = true;
            if (!controller.signal.aborted) callback(null, response);
          },
          (err: unknown) => {
            answered = true;
            if (!controller.signal.aborted) callback(toServerError(err));
          },
        );
      };
    }
    server.addService(definition, implementation);
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err === null ? resolve(bound) : reject(err)));
  });
  return {
    host: '127.0.0.1',
    port,
    faults,
    clientOptions: () => ({ apiEndpoint: '127.0.0.1', port, sslCreds: channelCredentials.createInsecure() }),
    stop: () =>
      new Promise<void>((resolve) => {
        // Give calls in flight a moment, then cut them off: a suite must never hang on teardown.
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
