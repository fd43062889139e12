/**
 * Building the gRPC server (no socket; tests drive it directly) and serving
 * it on a TCP address without TLS.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { FsError, type FunctionControl } from "../runtime/core/mod.ts";
import {
  createFunctionStreamService,
  type FunctionStreamServiceOptions,
} from "./function_stream_service.ts";
import { loadFunctionStreamProto } from "./proto.ts";

/** Default largest request the server accepts: 64 MiB (module uploads). */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Default time `close()` waits for calls in flight before forcing. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;

/** Options for {@link buildGrpcServer}. */
export interface GrpcServerOptions extends FunctionStreamServiceOptions {
  /**
   * Largest request message, in bytes; bigger ones fail with
   * RESOURCE_EXHAUSTED before reaching a handler.
   * @default 64 MiB
   */
  maxReceiveMessageBytes?: number;
}

/** Options for {@link serveGrpc}. */
export interface ServeGrpcOptions extends GrpcServerOptions {
  /**
   * Address to bind.
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * Port to bind; 0 picks a free one (the handle reports it).
   * @default 8080
   */
  port?: number;
  /**
   * How long `close()` lets calls in flight finish before forcing.
   * @default 5000
   */
  shutdownTimeoutMs?: number;
}

/** A bound, serving gRPC server. */
export interface GrpcServerHandle {
  /** "host:port" clients can dial, with the real port. */
  address: string;
  /** The bound port (the real one when 0 was asked). */
  port: number;
  /** The underlying grpc-js server. */
  server: grpc.Server;
  /** Stops accepting calls, lets calls in flight finish, then forces. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds a grpc-js server with FunctionStreamService added, not bound to any
 * address. Reads the .proto once (needs read permission on proto/).
 */
export function buildGrpcServer(
  control: FunctionControl,
  options: GrpcServerOptions = {},
): grpc.Server {
  const maxReceive = options.maxReceiveMessageBytes ??
    DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
  if (!Number.isInteger(maxReceive) || maxReceive <= 0) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot build the gRPC server as maxReceiveMessageBytes is not a positive integer: current value is ${maxReceive}`,
    );
  }
  const server = new grpc.Server({
    "grpc.max_receive_message_length": maxReceive,
  });
  server.addService(
    loadFunctionStreamProto().service,
    createFunctionStreamService(control, { logger: options.logger }),
  );
  return server;
}

function hostForAddress(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(
      address,
      grpc.ServerCredentials.createInsecure(),
      (error, port) => (error ? reject(error) : resolve(port)),
    );
  });
}

function shutdown(server: grpc.Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Builds the server and binds it without TLS on `host:port`. Rejects with
 * FsError UNAVAILABLE when the address cannot be bound (e.g. port in use).
 */
export async function serveGrpc(
  control: FunctionControl,
  options: ServeGrpcOptions = {},
): Promise<GrpcServerHandle> {
  const host = hostForAddress(options.host ?? "127.0.0.1");
  const requested = options.port ?? 8080;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot serve gRPC as port is not a port number: current value is ${requested}`,
    );
  }
  const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const server = buildGrpcServer(control, options);
  let port: number;
  try {
    port = await bind(server, `${host}:${requested}`);
  } catch (error) {
    server.forceShutdown();
    throw new FsError(
      "UNAVAILABLE",
      `Cannot serve gRPC on ${host}:${requested} as the address cannot be bound ` +
        `(in use, or not an address of this machine): ${
          error instanceof Error ? error.message : String(error)
        }`,
      { cause: error },
    );
  }
  let closing: Promise<void> | undefined;
  return {
    address: `${host}:${port}`,
    port,
    server,
    close: () => (closing ??= shutdown(server, timeoutMs)),
  };
}
