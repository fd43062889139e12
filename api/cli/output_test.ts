import assert from "node:assert/strict";
import { captureWriter } from "./_test_helpers.ts";
import {
  CliOutput,
  decodeReplyData,
  formatBytes,
  formatFields,
  replyJson,
} from "./output.ts";

Deno.test("CliOutput.result() prints text, or one JSON line with --json; progress goes to stderr", () => {
  const out = captureWriter();
  const err = captureWriter();
  new CliOutput(out, err, false).result("hello", { a: 1 });
  new CliOutput(out, err, true).result("hello", { a: 1 });
  new CliOutput(out, err, true).progress("working...");
  assert.equal(out.text(), 'hello\n{"a":1}\n');
  assert.equal(err.text(), "working...\n");
});

Deno.test("formatBytes() uses B, KiB and MiB", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(12_595), "12.3 KiB");
  assert.equal(formatBytes(4 * 1024 * 1024), "4.0 MiB");
});

Deno.test("formatFields() aligns values after the labels", () => {
  assert.equal(
    formatFields([["name", "a"], ["last error", "b"]]),
    "name:       a\nlast error: b",
  );
});

Deno.test("decodeReplyData() parses JSON, falls back to base64, and keeps absence", () => {
  assert.deepEqual(decodeReplyData(new TextEncoder().encode('[{"x":1}]')), [{
    x: 1,
  }]);
  assert.deepEqual(decodeReplyData(new Uint8Array([0xff, 0x00])), {
    base64: "/wA=",
  });
  assert.equal(decodeReplyData(undefined), undefined);
  assert.deepEqual(replyJson({ status_code: 200, message: "ok" }), {
    status_code: 200,
    message: "ok",
  });
});
