/**
 * scan_complex over a million entries from Python, in bounded memory: the
 * entries are committed to a DenoKvStateBackend on a temporary file, then an
 * operator walks them all in one call, checking order and content, while the
 * isolate's WebAssembly heap must stay far below what holding them would take.
 */
import assert from "node:assert/strict";
import type { StateMutation } from "../runtime/core/mod.ts";
import { DenoKvStateBackend } from "../runtime/state/mod.ts";
import { TempKv } from "../runtime/state/_test_util.ts";
import {
  pyModule,
  startIsolate,
  texts,
} from "../runtime/isolate/_test_util.ts";

const FN = "scan-fn";
const ENTRIES = 1_000_000;
/** Mutations per commit: small enough for Deno KV's one-operation fast path. */
const COMMIT_SIZE = 500;
const encoder = new TextEncoder();
const PREFIX = {
  keyGroup: encoder.encode("g"),
  key: encoder.encode("k"),
  namespace: encoder.encode("n"),
};

/**
 * Entry i: user key = i as 8 bytes big endian (so byte order = numeric
 * order), value = the key four times. The scan adds two unflushed puts and
 * one unflushed delete, to check the overlay at scale too.
 */
const SCAN_OP = `import json, struct, time
from fs_api import FSProcessorDriver, ComplexKey
class Op(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        store = ctx.getOrCreateKVStore("big")
        cmd = json.loads(data)
        if cmd["op"] == "probe":
            it = store.scan_complex(b"g", b"k", b"n")
            ctx.emit(json.dumps([k.hex() for k, _ in [it.next(), it.next()]]).encode(), 0)
            return
        extra = [struct.pack(">Q", cmd["entries"] + 5), struct.pack(">Q", 7) + b"\\x00"]
        for k in extra:
            store.put(ComplexKey(b"g", b"k", b"n", k), k * 4)
        gone = struct.pack(">Q", cmd["entries"] // 2)
        store.delete(ComplexKey(b"g", b"k", b"n", gone))
        t = time.perf_counter()
        count = 0
        wrong = []
        prev = b""
        for k, v in store.scan_complex(b"g", b"k", b"n"):
            if k <= prev or v != k * 4 or k == gone:
                wrong.append(k.hex())
                if len(wrong) > 5:
                    break
            prev = k
            count += 1
        seconds = time.perf_counter() - t
        for k in extra:
            store.delete(ComplexKey(b"g", b"k", b"n", k))
        ctx.emit(json.dumps({"count": count, "wrong": wrong, "last": prev.hex(), "seconds": seconds}).encode(), 0)
`;

function userKey(i: number): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, BigInt(i));
  return key;
}

async function fill(backend: DenoKvStateBackend): Promise<void> {
  for (let i = 0; i < ENTRIES; i += COMMIT_SIZE) {
    const mutations: StateMutation[] = [];
    for (let j = i; j < Math.min(ENTRIES, i + COMMIT_SIZE); j++) {
      const key = userKey(j);
      const value = new Uint8Array(32);
      for (let r = 0; r < 4; r++) value.set(key, r * 8);
      mutations.push({
        op: "put",
        store: "big",
        key: { kind: "complex", ...PREFIX, userKey: key },
        value,
      });
    }
    await backend.commit(FN, { mutations });
  }
}

const command = (cmd: unknown) => [{
  sourceId: 0,
  topic: "t",
  partition: 0,
  offset: 0n,
  key: null,
  value: encoder.encode(JSON.stringify(cmd)),
  headers: [],
  timestamp: 0,
}];

Deno.test({
  name:
    "KvStore.scan_complex() walks a million Deno KV entries in order from Python with a bounded heap",
  // Measured here (2 cores): about 10 s to fill, 15-25 s to scan.
  async fn() {
    const temp = await TempKv.open();
    const backend = new DenoKvStateBackend(temp.kv);
    const t0 = performance.now();
    await fill(backend);
    const filled = performance.now() - t0;
    const isolate = await startIsolate({
      functionName: FN,
      modules: [pyModule("scan_op", SCAN_OP)],
      state: backend,
      pageSize: 2000,
    });
    try {
      // A first short scan, so the heap has grown to its working size.
      const probe = await isolate.process(command({ op: "probe" }));
      assert.deepEqual(JSON.parse(texts(probe.outputs)[0]), [
        "0000000000000000",
        "0000000000000001",
      ]);
      const before = isolate.heapBytes;
      const t1 = performance.now();
      const result = await isolate.process(
        command({ op: "scan", entries: ENTRIES }),
      );
      const scanned = performance.now() - t1;
      const out = JSON.parse(texts(result.outputs)[0]);
      const growth = isolate.heapBytes - before;
      console.log(
        `fill ${(filled / 1000).toFixed(1)} s, scan ${
          (scanned / 1000).toFixed(1)
        } s (${Math.round(out.count / out.seconds)} entries/s in Python), ` +
          `heap ${(before / 2 ** 20).toFixed(0)} MiB + ${
            (growth / 2 ** 20).toFixed(1)
          } MiB`,
      );
      assert.deepEqual(out.wrong, []);
      // A million entries, minus the deleted one, plus the two unflushed puts.
      assert.equal(out.count, ENTRIES + 1);
      assert.equal(
        out.last,
        userKey(ENTRIES + 5).reduce(
          (s, b) => s + b.toString(16).padStart(2, "0"),
          "",
        ),
      );
      // Holding the entries (list(scan)) grows it by about 125 MiB.
      assert.ok(
        growth < 32 * 2 ** 20,
        `the heap grew by ${growth} bytes during the scan`,
      );
    } finally {
      await isolate.close();
      await temp.close();
    }
  },
});
