import assert from "node:assert/strict";
import { grpcOptionsFromFlags } from "./server_flags.ts";

const noEnv = { env: () => undefined };

Deno.test("grpcOptionsFromFlags() sets nothing when no flag is given", () => {
  assert.deepEqual(grpcOptionsFromFlags({}, noEnv), {});
});

Deno.test("grpcOptionsFromFlags() needs both TLS flags or neither", () => {
  assert.deepEqual(
    grpcOptionsFromFlags({ tlsCert: "c.pem", tlsKey: "k.pem" }, noEnv),
    { tls: { certFile: "c.pem", keyFile: "k.pem" } },
  );
  assert.throws(
    () => grpcOptionsFromFlags({ tlsCert: "c.pem" }, noEnv),
    /--tls-cert is set without --tls-key: give both or neither/,
  );
  assert.throws(
    () => grpcOptionsFromFlags({ tlsKey: "k.pem" }, noEnv),
    /--tls-key is set without --tls-cert/,
  );
  assert.throws(
    () => grpcOptionsFromFlags({ tlsCert: " ", tlsKey: "k.pem" }, noEnv),
    /--tls-cert is empty/,
  );
});

Deno.test("grpcOptionsFromFlags() takes --auth-token, else FS_AUTH_TOKEN", () => {
  const env = (name: string) =>
    name === "FS_AUTH_TOKEN" ? "from-env-0123456789" : undefined;
  assert.deepEqual(grpcOptionsFromFlags({}, { env }), {
    authToken: "from-env-0123456789",
  });
  assert.deepEqual(
    grpcOptionsFromFlags({ authToken: "from-flag-0123456789" }, { env }),
    { authToken: "from-flag-0123456789" },
  );
  assert.deepEqual(grpcOptionsFromFlags({}, { env: () => "" }), {});
  assert.throws(
    () => grpcOptionsFromFlags({ authToken: "" }, noEnv),
    /--auth-token as it is empty/,
  );
});

Deno.test("grpcOptionsFromFlags() turns --max-message-mb into bytes and checks it", () => {
  assert.deepEqual(grpcOptionsFromFlags({ maxMessageMb: "8" }, noEnv), {
    maxReceiveMessageBytes: 8 * 1024 * 1024,
  });
  for (const bad of ["0", "-1", "1.5", "2048", "ten", ""]) {
    assert.throws(
      () => grpcOptionsFromFlags({ maxMessageMb: bad }, noEnv),
      /--max-message-mb as it is not a whole number from 1 to 2047/,
      bad,
    );
  }
});
