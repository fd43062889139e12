import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { FsError } from "../runtime/core/mod.ts";
import { checkAuthToken, createTokenAuthenticator } from "./auth.ts";

const TOKEN = "s3cret-token-0123456789";

function metadata(...values: string[]): grpc.Metadata {
  const m = new grpc.Metadata();
  for (const value of values) m.add("authorization", value);
  return m;
}

function unauthenticated(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof FsError);
    assert.equal(error.code, "UNAUTHENTICATED");
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes(TOKEN), "the token leaked");
    return true;
  };
}

Deno.test("createTokenAuthenticator() accepts exactly 'Bearer <token>'", () => {
  const auth = createTokenAuthenticator(TOKEN);
  auth.check(metadata(`Bearer ${TOKEN}`));
  auth.check(metadata(`bearer ${TOKEN}`));
  auth.check(metadata(`Bearer  ${TOKEN} `));
});

Deno.test("createTokenAuthenticator() rejects missing, repeated, malformed and wrong tokens", () => {
  const auth = createTokenAuthenticator(TOKEN);
  assert.throws(() => auth.check(metadata()), unauthenticated(/carries no/));
  assert.throws(
    () => auth.check(metadata(`Bearer ${TOKEN}`, "Bearer other")),
    unauthenticated(/2 'authorization' values/),
  );
  assert.throws(
    () => auth.check(metadata(TOKEN)),
    unauthenticated(/is not 'Bearer <token>'/),
  );
  assert.throws(
    () => auth.check(metadata(`Basic ${TOKEN}`)),
    unauthenticated(/is not 'Bearer <token>'/),
  );
  for (
    const wrong of [
      TOKEN.slice(0, -1),
      `${TOKEN}x`,
      TOKEN.toUpperCase(),
      "x".repeat(5000),
    ]
  ) {
    assert.throws(
      () => auth.check(metadata(`Bearer ${wrong}`)),
      unauthenticated(/bearer token is wrong/),
    );
  }
});

Deno.test("checkAuthToken() refuses short, huge and non-ASCII tokens without echoing them", () => {
  const bad = (token: string, pattern: RegExp) =>
    assert.throws(() => checkAuthToken(token), (error: FsError) => {
      assert.equal(error.code, "BAD_REQUEST");
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes(token));
      return true;
    });
  bad("short-token", /shorter than 16 characters: current length is 11/);
  bad("y".repeat(4097), /longer than 4096 characters/);
  bad("with a space in it!!", /spaces, control or non-ASCII/);
  bad("tøken-tøken-tøken-tøken", /spaces, control or non-ASCII/);
  checkAuthToken("a".repeat(16));
});
