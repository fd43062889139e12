/**
 * Turns the server's security flags (`--tls-cert`, `--tls-key`,
 * `--auth-token` or env FS_AUTH_TOKEN, `--max-message-mb`) into options of
 * {@link serveGrpc}, checking each. main.ts stays a composition root.
 * @module
 */
import { FsError } from "../runtime/core/mod.ts";
import type { ServeGrpcOptions } from "./server.ts";
import { checkAuthToken } from "./auth.ts";

/** Largest `--max-message-mb`: grpc-js keeps lengths in a signed 32-bit int. */
export const MAX_MESSAGE_MB_LIMIT = 2047;

/** Environment variable read when `--auth-token` is absent. */
export const AUTH_TOKEN_ENV = "FS_AUTH_TOKEN";

/** The flags as given; every one is optional. */
export interface GrpcFlagValues {
  /** `--tls-cert`: PEM certificate chain. */
  tlsCert?: string;
  /** `--tls-key`: PEM private key. */
  tlsKey?: string;
  /** `--auth-token`: bearer token every call must carry. */
  authToken?: string;
  /** `--max-message-mb`: largest request in MiB. */
  maxMessageMb?: string;
}

/** Options for {@link grpcOptionsFromFlags}. */
export interface GrpcFlagOptions {
  /**
   * Reads an environment variable (FS_AUTH_TOKEN).
   * @default Deno.env.get, undefined without env permission
   */
  env?: (name: string) => string | undefined;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no env permission: behave as if unset
  }
}

/**
 * Resolves the flags into `tls`, `authToken` and `maxReceiveMessageBytes`
 * (each absent when not asked for).
 *
 * @throws {FsError} BAD_REQUEST naming the flag: only one of the TLS flags,
 * an empty value, a weak token, or a size that is not a whole number of MiB
 * in 1..2047.
 */
export function grpcOptionsFromFlags(
  flags: GrpcFlagValues,
  options: GrpcFlagOptions = {},
): Pick<ServeGrpcOptions, "tls" | "authToken" | "maxReceiveMessageBytes"> {
  const resolved: Pick<
    ServeGrpcOptions,
    "tls" | "authToken" | "maxReceiveMessageBytes"
  > = {};
  const { tlsCert, tlsKey } = flags;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    const given = tlsCert === undefined ? "--tls-key" : "--tls-cert";
    const missing = tlsCert === undefined ? "--tls-cert" : "--tls-key";
    throw new FsError(
      "BAD_REQUEST",
      `Cannot serve TLS as ${given} is set without ${missing}: give both or neither`,
    );
  }
  if (tlsCert !== undefined && tlsKey !== undefined) {
    if (tlsCert.trim() === "" || tlsKey.trim() === "") {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot serve TLS as ${
          tlsCert.trim() === "" ? "--tls-cert" : "--tls-key"
        } is empty`,
      );
    }
    resolved.tls = { certFile: tlsCert, keyFile: tlsKey };
  }
  const token = flags.authToken ??
    (options.env ?? readEnv)(AUTH_TOKEN_ENV);
  if (flags.authToken === "") {
    throw new FsError(
      "BAD_REQUEST",
      "Cannot use --auth-token as it is empty: omit it to serve without authentication",
    );
  }
  if (token !== undefined && token !== "") {
    checkAuthToken(token); // fail before anything is opened
    resolved.authToken = token;
  }
  if (flags.maxMessageMb !== undefined) {
    const text = flags.maxMessageMb.trim();
    const mb = Number(text);
    if (!/^\d+$/.test(text) || mb < 1 || mb > MAX_MESSAGE_MB_LIMIT) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot use --max-message-mb as it is not a whole number from 1 to ${MAX_MESSAGE_MB_LIMIT}: current value is ${
          JSON.stringify(flags.maxMessageMb)
        }`,
      );
    }
    resolved.maxReceiveMessageBytes = mb * 1024 * 1024;
  }
  return resolved;
}
