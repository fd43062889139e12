import assert from "node:assert/strict";
import {
  decodeMutations,
  decodeOutputs,
  packEntries,
  packRecords,
  WATERMARK_HEADER,
} from "./_packing.ts";
import type { PackedResult } from "./protocol.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function result(fields: Partial<PackedResult>): PackedResult {
  return {
    outData: new Uint8Array(0),
    outLens: new Int32Array(0),
    outChannels: new Int32Array(0),
    mutations: new Uint8Array(0),
    stores: [],
    extra: null,
    ...fields,
  };
}

/** Writes the mutation layout of fs_runtime/_codec.py. */
function mutationBytes(
  entries: [op: number, kind: number, store: number, parts: string[]][],
): Uint8Array<ArrayBuffer> {
  const chunks: number[] = [];
  for (const [op, kind, store, parts] of entries) {
    chunks.push(op, kind, store & 255, (store >> 8) & 255, 0, 0);
    for (const part of parts) {
      const bytes = enc(part);
      chunks.push(bytes.length & 255, bytes.length >> 8, 0, 0, ...bytes);
    }
  }
  return new Uint8Array(chunks);
}

Deno.test("packRecords() packs values back to back with end offsets and source ids", () => {
  const call = packRecords([enc("ab"), enc(""), enc("cde")].map((value, i) => ({
    sourceId: i,
    topic: "t",
    partition: 0,
    offset: 0n,
    key: null,
    value,
    headers: [],
    timestamp: 0,
  })));
  assert.deepEqual(call.data, enc("abcde"));
  assert.deepEqual([...call.ends], [2, 2, 5]);
  assert.deepEqual([...call.sources], [0, 1, 2]);
});

Deno.test("decodeOutputs() keeps order and turns negative channels into watermark records", () => {
  const outputs = decodeOutputs(result({
    outData: enc("xy1000"),
    outLens: new Int32Array([1, 1, 4]),
    outChannels: new Int32Array([0, 2, -2]),
  }));
  assert.deepEqual(outputs[0], { channel: 0, value: enc("x") });
  assert.deepEqual(outputs[1], { channel: 2, value: enc("y") });
  assert.deepEqual(outputs[2], {
    channel: 1,
    value: new Uint8Array(0),
    headers: [{ key: WATERMARK_HEADER, value: enc("1000") }],
  });
});

Deno.test("decodeMutations() reads puts, deletes and prefix deletes of both key kinds", () => {
  const mutations = decodeMutations(result({
    mutations: mutationBytes([
      [2, 1, 1, ["g", "k", "n"]],
      [0, 0, 0, ["key", "value"]],
      [1, 1, 1, ["g", "k", "n", "u"]],
    ]),
    stores: ["a", "b"],
  }));
  assert.deepEqual(mutations, [
    {
      op: "deletePrefix",
      store: "b",
      prefix: { keyGroup: enc("g"), key: enc("k"), namespace: enc("n") },
    },
    {
      op: "put",
      store: "a",
      key: { kind: "simple", key: enc("key") },
      value: enc("value"),
    },
    {
      op: "delete",
      store: "b",
      key: {
        kind: "complex",
        keyGroup: enc("g"),
        key: enc("k"),
        namespace: enc("n"),
        userKey: enc("u"),
      },
    },
  ]);
});

Deno.test("decodeMutations() rejects an unknown store index or op", () => {
  assert.throws(
    () =>
      decodeMutations(
        result({ mutations: mutationBytes([[0, 0, 3, ["k", "v"]]]) }),
      ),
    /store index/,
  );
  assert.throws(
    () =>
      decodeMutations(result({
        mutations: mutationBytes([[9, 0, 0, ["k"]]]),
        stores: ["s"],
      })),
    /op is unknown/,
  );
});

Deno.test("packEntries() packs keys, or keys and values interleaved", () => {
  const entries = [{ key: enc("a"), value: enc("1") }, {
    key: enc("bc"),
    value: enc(""),
  }];
  const keys = packEntries(entries, false);
  assert.deepEqual(keys.data, enc("abc"));
  assert.deepEqual([...keys.lens], [1, 2]);
  const pairs = packEntries(entries, true);
  assert.deepEqual(pairs.data, enc("a1bc"));
  assert.deepEqual([...pairs.lens], [1, 1, 2, 0]);
});
