import assert from "node:assert/strict";
import { resolveServerConfig } from "./server_config.ts";
import { FsError } from "./errors.ts";

Deno.test("resolveServerConfig() fills every default", () => {
  const config = resolveServerConfig({});
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 8080);
  assert.equal(config.dataDir, "./.data");
  assert.equal(config.kvPath, "./.data/function_stream.kv");
  assert.equal(config.logFormat, "text");
});

Deno.test("resolveServerConfig() accepts string ports and trims data dir slashes", () => {
  const config = resolveServerConfig({ port: "9000", dataDir: "/tmp/fs/" });
  assert.equal(config.port, 9000);
  assert.equal(config.cacheDir, "/tmp/fs/cache");
});

Deno.test("resolveServerConfig() rejects bad ports and formats with the value", () => {
  assert.throws(
    () => resolveServerConfig({ port: "http" }),
    (e) => e instanceof FsError && /--port.*http/.test(e.message),
  );
  assert.throws(
    () => resolveServerConfig({ port: 70000 }),
    (e) => e instanceof FsError && e.code === "BAD_REQUEST",
  );
  assert.throws(() => resolveServerConfig({ logFormat: "xml" }), /log-format/);
});

Deno.test("resolveServerConfig() resolves --function-memory-mb to bytes, 256 MiB by default", () => {
  assert.equal(resolveServerConfig({}).functionMemoryBytes, 256 * 1024 * 1024);
  assert.equal(
    resolveServerConfig({ functionMemoryMb: "100" }).functionMemoryBytes,
    100 * 1024 * 1024,
  );
  for (const bad of ["63", "4097", "1.5", "lots", ""]) {
    assert.throws(
      () => resolveServerConfig({ functionMemoryMb: bad }),
      (e) =>
        e instanceof FsError && e.code === "BAD_REQUEST" &&
        /--function-memory-mb.*from 64 to 4096/.test(e.message),
    );
  }
});

Deno.test("resolveServerConfig() resolves --isolation to process by default and refuses other modes", () => {
  assert.equal(resolveServerConfig({}).isolation, "process");
  assert.equal(
    resolveServerConfig({ isolation: "worker" }).isolation,
    "worker",
  );
  for (const bad of ["thread", "", "PROCESS"]) {
    assert.throws(
      () => resolveServerConfig({ isolation: bad }),
      (e) =>
        e instanceof FsError && e.code === "BAD_REQUEST" &&
        /--isolation.*'worker' or 'process'/.test(e.message),
    );
  }
});
