import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import { checkUpload, isModulePath } from "./upload_limits.ts";

const source = new TextEncoder().encode("x = 1\n");

function upload(overrides: Record<string, unknown> = {}) {
  return {
    className: "MetricProcessor",
    modules: [{ name: "job", source }],
    configYaml: "name: a\n",
    ...overrides,
  };
}

function rejects(
  input: ReturnType<typeof upload>,
  message: RegExp,
  limits = {},
) {
  assert.throws(
    () => checkUpload(input, limits),
    (e) => e instanceof FsError && message.test(e.message),
  );
}

Deno.test("isModulePath() accepts dotted identifiers only", () => {
  assert.equal(isModulePath("pkg.sub.mod"), true);
  assert.equal(isModulePath("_private"), true);
  for (
    const bad of ["", "../x", "/etc/passwd", "a..b", "a.", "1abc", "a-b", "a/b"]
  ) {
    assert.equal(isModulePath(bad), false, bad);
  }
});

Deno.test("checkUpload() accepts a normal upload", () => {
  checkUpload(upload());
});

Deno.test("checkUpload() rejects bad names with the value", () => {
  rejects(upload({ className: "os.system" }), /class_name.*os\.system/);
  rejects(upload({ modules: [] }), /without modules/);
  rejects(
    upload({ modules: [{ name: "../../etc/x", source }] }),
    /module name.*etc/,
  );
  rejects(
    upload({ modules: [{ name: "a", source }, { name: "a", source }] }),
    /twice/,
  );
});

Deno.test("checkUpload() names the size limit it enforces", () => {
  const big = new Uint8Array(2000);
  rejects(
    upload({ modules: [{ name: "a", source: big }] }),
    /limit is 1000 bytes per module/,
    {
      maxModuleBytes: 1000,
    },
  );
  rejects(
    upload({
      modules: [{ name: "a", source: big }, { name: "b", source: big }],
    }),
    /limit is 3000 bytes in total/,
    { maxTotalBytes: 3000 },
  );
  rejects(
    upload({ modules: [{ name: "a", source }, { name: "b", source }] }),
    /limit is 1 modules/,
    {
      maxModules: 1,
    },
  );
});
