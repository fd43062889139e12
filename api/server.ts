/**
 * Building the gRPC server (no socket; tests drive it directly) and serving
 * it on a TCP address, with TLS when a certificate and key are given.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  createLogger,
  FsError,
  type FunctionControl,
  messageOf,
} from "../runtime/core/mod.ts";
import { createTokenAuthenticator } from "./auth.ts";
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
  /**
   * When set, every call must carry `authorization: Bearer <authToken>`;
   * others get a 401 reply. At least 16 visible ASCII characters.
   * @default none: no authentication
   */
  authToken?: string;
}

/** PEM files of the server's TLS identity. */
export interface TlsFiles {
  /** Certificate chain (PEM), leaf first. */
  certFile: string;
  /** Private key (PEM) of the leaf certificate. */
  keyFile: string;
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
  /**
   * Serve TLS only, with this certificate and key.
   * @default none: plaintext
   */
  tls?: TlsFiles;
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
  const authenticator = options.authToken === undefined
    ? undefined
    : createTokenAuthenticator(options.authToken);
  server.addService(
    loadFunctionStreamProto().service,
    createFunctionStreamService(control, {
      logger: options.logger,
      authenticator,
    }),
  );
  return server;
}

function hostForAddress(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

async function readPem(path: string, what: string): Promise<Buffer> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot read the TLS ${what} as the file cannot be read: current value is ${
        JSON.stringify(path)
      } (${messageOf(error)})`,
      { cause: error },
    );
  }
  if (!new TextDecoder().decode(bytes).includes("-----BEGIN ")) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use the TLS ${what} as the file is not PEM: current value is ${
        JSON.stringify(path)
      }`,
    );
  }
  return Buffer.from(bytes);
}

/** Server credentials: plaintext, or TLS from PEM files. */
export async function serverCredentials(
  tls: TlsFiles | undefined,
): Promise<grpc.ServerCredentials> {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const cert = await readPem(tls.certFile, "certificate");
  const key = await readPem(tls.keyFile, "key");
  const credentials = grpc.ServerCredentials.createSsl(null, [
    { cert_chain: cert, private_key: key },
  ], false);
  // createSsl puts the system root CAs into the context as `ca`, and Deno's
  // node:tls appends `ca` to the chain it serves: every handshake would send
  // ~150 certificates and clients abort ("excessive message size"). Client
  // certificates are not requested, so the context needs no CAs at all.
  (credentials as unknown as {
    updateSecureContextOptions(options: object): void;
  }).updateSecureContextOptions({ cert: [cert], key: [key] });
  return credentials;
}

function bind(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(
      address,
      credentials,
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

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Anyone who reaches a control plane can run code on the server: say so. */
function warnIfExposed(options: ServeGrpcOptions): void {
  const host = options.host ?? "127.0.0.1";
  if (isLoopback(host)) return;
  const logger = options.logger ?? createLogger();
  if (options.authToken === undefined) {
    logger.log(
      "warn",
      `gRPC on ${host} accepts calls without authentication: anyone who reaches it can upload and run code; set --auth-token or FS_AUTH_TOKEN`,
    );
  }
  if (options.tls === undefined) {
    logger.log(
      "warn",
      `gRPC on ${host} is plaintext: tokens and uploads can be read on the network; set --tls-cert and --tls-key`,
    );
  }
}

/**
 * Builds the server and binds it on `host:port`, with TLS when `tls` is
 * given. Rejects with FsError BAD_REQUEST for unreadable TLS files or a bad
 * token, UNAVAILABLE when the address cannot be bound (e.g. port in use).
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
  const credentials = await serverCredentials(options.tls);
  const server = buildGrpcServer(control, options);
  let port: number;
  try {
    port = await bind(server, `${host}:${requested}`, credentials);
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
  warnIfExposed(options);
  let closing: Promise<void> | undefined;
  return {
    address: `${host}:${port}`,
    port,
    server,
    close: () => (closing ??= shutdown(server, timeoutMs)),
  };
}
