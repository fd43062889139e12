import assert from "node:assert/strict";
import { isTrampolineModule, REMOVED_GLOBALS } from "./_lockdown.ts";

const HEADER = [0, 97, 115, 109, 1, 0, 0, 0];
const TAIL = [2, 7, 1, 1, 101, 1, 102, 0, 0, 7, 5, 1, 1, 102, 0, 0];

/** The module Emscripten's convertJsFunctionToWasm builds for a signature. */
function trampoline(
  params: number[],
  results: number[],
): Uint8Array<ArrayBuffer> {
  const type = [1, 96, params.length, ...params, results.length, ...results];
  return new Uint8Array([...HEADER, 1, type.length, ...type, ...TAIL]);
}

Deno.test("isTrampolineModule() accepts Emscripten's function trampolines, which compile and re-export their import", () => {
  for (
    const [params, results] of [[[], []], [[127], [127]], [[127, 126], [124]]]
  ) {
    const bytes = trampoline(params, results);
    assert.equal(isTrampolineModule(bytes), true);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      e: { f: () => 0 },
    });
    assert.equal(typeof instance.exports.f, "function");
  }
});

Deno.test("isTrampolineModule() refuses modules with memories, code or other imports", () => {
  const memory = new Uint8Array([...HEADER, 5, 3, 1, 0, 1]);
  assert.equal(isTrampolineModule(memory), false);
  const good = trampoline([127], [127]);
  // A memory section appended after the export.
  assert.equal(
    isTrampolineModule(new Uint8Array([...good, 5, 3, 1, 0, 1])),
    false,
  );
  // An import of a memory instead of a function (kind 2).
  const memoryImport = good.slice();
  memoryImport[good.length - 9] = 2;
  assert.equal(isTrampolineModule(memoryImport), false);
  // A type section whose size does not end at the import section.
  const longer = good.slice();
  longer[9] += 1;
  assert.equal(isTrampolineModule(longer), false);
  assert.equal(isTrampolineModule(new Uint8Array(HEADER)), false);
  assert.equal(isTrampolineModule(new Uint8Array(0)), false);
});

Deno.test("REMOVED_GLOBALS names the capabilities that escaped the sandbox", () => {
  for (const name of ["Deno", "process", "Worker", "postMessage", "fetch"]) {
    assert.ok(REMOVED_GLOBALS.includes(name), name);
  }
});
