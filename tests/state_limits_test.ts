/**
 * Oversized state writes fail inside the operator, at the call, as
 * KvOtherError; the operator can catch them and go on, and the batch still
 * commits to Deno KV with everything else intact.
 */
import assert from "node:assert/strict";
import type { InputRecord } from "../runtime/core/mod.ts";
import { DenoKvStateBackend, MAX_VALUE_BYTES } from "../runtime/state/mod.ts";
import { TempKv } from "../runtime/state/_test_util.ts";
import type { FunctionIsolate } from "../runtime/isolate/mod.ts";
import {
  pyModule,
  startIsolate,
  texts,
} from "../runtime/isolate/_test_util.ts";

const encoder = new TextEncoder();
const FN = "limits-fn";

/** Runs each record as Python code with `store`, `CK`, `emit` and `KvOtherError` in scope. */
const SCRIPT_OP =
  `from fs_api import FSProcessorDriver, ComplexKey, KvOtherError
from fs_api.limits import MAX_VALUE_BYTES
class Op(FSProcessorDriver):
    def init(self, ctx, config):
        self.env = {
            "store": ctx.getOrCreateKVStore("db"),
            "CK": ComplexKey,
            "KvOtherError": KvOtherError,
            "MAX": MAX_VALUE_BYTES,
            "emit": lambda v: ctx.emit(str(v).encode(), 0),
        }
    def process(self, ctx, source_id, data):
        exec(data.decode(), self.env)
`;

function scripts(...code: string[]): InputRecord[] {
  return code.map((text, i) => ({
    sourceId: 0,
    topic: "t",
    partition: 0,
    offset: BigInt(i),
    key: null,
    value: encoder.encode(text),
    headers: [],
    timestamp: 0,
  }));
}

/** Runs one batch and commits its mutations like the engine does. */
async function batch(
  isolate: FunctionIsolate,
  backend: DenoKvStateBackend,
  ...code: string[]
): Promise<string[]> {
  const result = await isolate.process(scripts(...code));
  await backend.commit(FN, { mutations: result.mutations });
  return texts(result.outputs);
}

const CAUGHT = `
def caught(call):
    try:
        call()
        emit("no error")
    except KvOtherError as e:
        emit("KvOtherError: " + str(e))
`;

Deno.test("an operator catches KvOtherError for oversized keys, values and merges, continues, and its state stays intact", async () => {
  const temp = await TempKv.open();
  const backend = new DenoKvStateBackend(temp.kv);
  const start = () =>
    startIsolate({
      functionName: FN,
      modules: [pyModule("script_op", SCRIPT_OP)],
      state: backend,
    });
  let isolate = await start();
  try {
    await batch(
      isolate,
      backend,
      "store.put_state(b'a', b'1')",
      "store.put(CK(b'g', b'k', b'n', b'u'), b'x')",
      // A value just under the limit, to be merged past it below.
      "store.put(CK(b'g', b'k', b'n', b'big'), b'z' * (MAX - 2))",
    );
    const out = await batch(
      isolate,
      backend,
      CAUGHT,
      "caught(lambda: store.put_state(b'k' * 3000, b'v'))",
      "caught(lambda: store.put(CK(b'g', b'k', b'n', b'\\0' * 1100), b'v'))",
      "caught(lambda: store.put_state(b'a', b'v' * (MAX + 1)))",
      "caught(lambda: store.merge(CK(b'g', b'k', b'n', b'big'), b'abc'))",
      "caught(lambda: store.merge(CK(b'g', b'k' * 3000, b'n', b'u'), b'abc'))",
      // Oversized keys cannot exist: reads see nothing, deletes do nothing.
      "emit(store.get_state(b'k' * 3000)); store.delete_state(b'k' * 3000)",
      "emit(store.get(CK(b'g', b'k', b'n', b'\\0' * 1100))); store.delete(CK(b'g', b'k', b'n', b'\\0' * 1100))",
      "store.delete_prefix(CK(b'g' * 3000, b'k', b'n', b''))",
      "emit(list(store.scan_complex(b'g' * 3000, b'k', b'n')))",
      // Range bounds over the key limit still list what is stored.
      "emit(store.list_states(b'', b'\\xff' * 3000))",
      "emit(store.list_complex(b'g', b'k', b'n', b'a' * 3000, b'\\xff' * 3000))",
      // The operator goes on writing after the errors.
      "store.put_state(b'c', b'3'); store.merge(CK(b'g', b'k', b'n', b'u'), b'y')",
    );
    assert.match(
      out[0],
      /^KvOtherError: Cannot store a key in store 'db' as it exceeds the store's key limit of \d+ bytes \(the server's MAX_KEY_BYTES=2048 .*current size is 3000 bytes/,
    );
    assert.match(out[1], /key limit .*current size is 2203 bytes/);
    assert.match(
      out[2],
      new RegExp(
        `^KvOtherError: Cannot store a value in store 'db' as it exceeds the value limit MAX_VALUE_BYTES=${MAX_VALUE_BYTES} bytes \\(16 MiB\\): current size is ${
          MAX_VALUE_BYTES + 1
        } bytes`,
      ),
    );
    assert.match(
      out[3],
      new RegExp(
        `^KvOtherError: Cannot store the merged value \\(${
          MAX_VALUE_BYTES - 2
        } stored \\+ 3 appended\\) in store 'db' .*MAX_VALUE_BYTES`,
      ),
    );
    assert.match(out[4], /key limit/);
    assert.deepEqual(out.slice(5), [
      "None",
      "None",
      "[]",
      "[b'a']",
      "[b'big', b'u']",
    ]);

    // A fresh isolate reads what was committed: nothing lost, nothing half written.
    await isolate.close();
    isolate = await start();
    const after = await batch(
      isolate,
      backend,
      "emit(store.get_state(b'a')); emit(store.get_state(b'c'))",
      "emit(store.get(CK(b'g', b'k', b'n', b'u')))",
      "v = store.get(CK(b'g', b'k', b'n', b'big')); emit((len(v), v == b'z' * (MAX - 2)))",
      "emit(store.list_complex(b'g', b'k', b'n', b'', b'\\xff'))",
    );
    assert.deepEqual(after, [
      "b'1'",
      "b'3'",
      "b'xy'",
      `(${MAX_VALUE_BYTES - 2}, True)`,
      "[b'big', b'u']",
    ]);
  } finally {
    await isolate.close();
    await temp.close();
  }
});
