/**
 * Optional bearer-token authentication of control-plane calls. A call passes
 * when its `authorization` metadata is `Bearer <token>` with the configured
 * token; the comparison takes the same time whatever the guess.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import type * as grpc from "@grpc/grpc-js";
import { FsError } from "../runtime/core/mod.ts";

/** Fewest characters a configured token may have. */
export const MIN_AUTH_TOKEN_LENGTH = 16;

/** Most characters a configured token may have (it travels in a header). */
export const MAX_AUTH_TOKEN_LENGTH = 4096;

// Visible ASCII only: a header value cannot carry anything else, and a token
// with spaces would be ambiguous after "Bearer ".
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/** Decides whether a call's metadata carries the configured token. */
export interface CallAuthenticator {
  /**
   * Returns nothing when the call may proceed.
   *
   * @throws {FsError} UNAUTHENTICATED (401) saying what is missing or wrong,
   * never the expected token.
   */
  check(metadata: grpc.Metadata): void;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Checks a token given by flag or environment.
 *
 * @throws {FsError} BAD_REQUEST when it is too short, too long, or holds
 * anything but visible ASCII (the message never shows the token).
 */
export function checkAuthToken(token: string): void {
  if (token.length < MIN_AUTH_TOKEN_LENGTH) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use the auth token as it is shorter than ${MIN_AUTH_TOKEN_LENGTH} characters: current length is ${token.length}; generate one with 'openssl rand -hex 32'`,
    );
  }
  if (token.length > MAX_AUTH_TOKEN_LENGTH) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use the auth token as it is longer than ${MAX_AUTH_TOKEN_LENGTH} characters: current length is ${token.length}`,
    );
  }
  if (!TOKEN_PATTERN.test(token)) {
    throw new FsError(
      "BAD_REQUEST",
      "Cannot use the auth token as it holds spaces, control or non-ASCII characters: use visible ASCII only",
    );
  }
}

/**
 * Builds the check for one configured token (see {@link checkAuthToken}).
 * Both sides are hashed with SHA-256 before `timingSafeEqual`, so neither the
 * token's content nor its length leaks through timing.
 */
export function createTokenAuthenticator(token: string): CallAuthenticator {
  checkAuthToken(token);
  const expected = digest(token);
  return {
    check(metadata: grpc.Metadata): void {
      const values = metadata.get("authorization");
      if (values.length === 0) {
        throw new FsError(
          "UNAUTHENTICATED",
          "Cannot run the call as it carries no 'authorization' metadata: send 'Bearer <token>' (fs_client: FsClient(token=...); CLI: --token)",
        );
      }
      if (values.length > 1) {
        throw new FsError(
          "UNAUTHENTICATED",
          `Cannot run the call as it carries ${values.length} 'authorization' values: send exactly one`,
        );
      }
      const value = values[0];
      const text = typeof value === "string" ? value : value.toString("utf8");
      const match = /^Bearer[ ]+(\S+)\s*$/i.exec(text);
      if (match === null) {
        throw new FsError(
          "UNAUTHENTICATED",
          "Cannot run the call as its 'authorization' metadata is not 'Bearer <token>'",
        );
      }
      if (!timingSafeEqual(digest(match[1]), expected)) {
        throw new FsError(
          "UNAUTHENTICATED",
          "Cannot run the call as its bearer token is wrong",
        );
      }
    },
  };
}
