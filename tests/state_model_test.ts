/**
 * Model-based test of the sandbox's KvStore: an operator runs seeded random
 * sequences of every KvStore operation on the real store (write-back cache
 * over a DenoKvStateBackend on a temporary file) and on
 * fs_api.testing.MemoryKvStore, and fails the batch at the first difference.
 * Batches are committed in between (so reads go through flushed, trimmed and
 * paged state), some batches fail and are rolled back, and the isolate is
 * restarted on a reopened KV with the model carried by take_checkpoint bytes.
 * At the end the committed Deno KV content must equal the model.
 */
import assert from "node:assert/strict";
import type { InputRecord } from "../runtime/core/mod.ts";
import { FsError } from "../runtime/core/mod.ts";
import { DenoKvStateBackend } from "../runtime/state/mod.ts";
import { TempKv } from "../runtime/state/_test_util.ts";
import type { FunctionIsolate } from "../runtime/isolate/mod.ts";
import {
  pyModule,
  startIsolate,
  texts,
} from "../runtime/isolate/_test_util.ts";

const FN = "model-fn";
const STORE = "m";
const encoder = new TextEncoder();

/**
 * The operator. Each {"seed", "n"} record runs n random operations on both
 * stores; "begin" saves the model, "rollback" restores it after a failed
 * batch, "fail" raises, "dump" emits the model's whole content.
 */
const MODEL_OP = String.raw`import json, pickle, random
from fs_api import FSProcessorDriver, ComplexKey, KvError
from fs_api.testing import MemoryKvStore

ALPHABET = [b"\x00", b"\x01", b"a", b"b", b"\xff"]
# Prefix parts that are prefixes of each other and hold 0x00/0xFF, so that an
# encoding that concatenated parts would collide.
PARTS = [b"", b"\x00", b"a", b"a\x00", b"\x00a", b"\xff"]
OPS = [
    ("put_state", 12), ("get_state", 12), ("delete_state", 5), ("list_states", 3),
    ("put", 12), ("get", 12), ("delete", 5), ("merge", 8), ("delete_prefix", 1),
    ("list_complex", 5), ("scan_complex", 5),
]
NAMES = [name for name, _ in OPS]
WEIGHTS = [weight for _, weight in OPS]


def key(r):
    x = r.random()
    if x < 0.01:
        return r.choice([b"a" * 2100, b"\xff" * 2500])  # over every key limit
    if x < 0.015:
        return bytearray(b"a")  # not bytes
    if x < 0.02:
        return "a"  # not bytes
    return b"".join(r.choice(ALPHABET) for _ in range(r.randint(0, 4)))


def value(r):
    x = r.random()
    if x < 0.1:
        return b""
    if x < 0.1015:
        return r.randbytes(70_000)  # chunked on Deno KV
    if x < 0.103:
        return bytearray(b"v")
    return b"".join(r.choice(ALPHABET) for _ in range(r.randint(1, 8)))


def prefix(r):
    return r.choice(PARTS), r.choice(PARTS), r.choice(PARTS)


def complex_key(r):
    return ComplexKey(*prefix(r), key(r))


def bound(r):
    x = r.random()
    if x < 0.05:
        return b"\xff" * 3000  # over the key limit
    if x < 0.1:
        return b"\xff" * 5  # after every short key
    return key(r)


def scan(it, r):
    # Mixes the two ways to read an iterator; stops early sometimes.
    limit = r.choice([1, 3, 1000])
    out = []
    while len(out) < limit:
        if r.random() < 0.5:
            if not it.has_next():
                out.append(("end", it.next()))
                break
            out.append(it.next())
        else:
            item = it.next()
            out.append(item)
            if item is None:
                break
    return out


def call(store, name, args, r):
    try:
        result = getattr(store, name)(*args)
        if name == "scan_complex":
            result = scan(result, r)
        return ("ok", result)
    except (KvError, TypeError) as error:
        return ("error", type(error).__name__)


def arguments(name, r):
    if name == "put_state":
        return (key(r), value(r))
    if name in ("get_state", "delete_state"):
        return (key(r),)
    if name == "list_states":
        return (bound(r), bound(r))
    if name in ("put", "merge"):
        return (complex_key(r), value(r))
    if name in ("get", "delete", "delete_prefix"):
        return (complex_key(r),)
    if name == "list_complex":
        return (*prefix(r), bound(r), bound(r))
    return prefix(r)


def short(x):
    text = repr(x)
    return text if len(text) < 300 else text[:300] + "..."


class ModelOp(FSProcessorDriver):
    def init(self, ctx, config):
        self.store = ctx.getOrCreateKVStore("m")
        self.model = MemoryKvStore("m")
        self.saved = None

    def process(self, ctx, source_id, data):
        msg = json.loads(data)
        if "begin" in msg:
            self.saved = pickle.dumps(self.model)
        elif "rollback" in msg:
            self.model = pickle.loads(self.saved)
        elif "fail" in msg:
            raise RuntimeError("this batch fails on purpose")
        elif "dump" in msg:
            ctx.emit(json.dumps(self.dump()).encode(), 0)
        else:
            ctx.emit(json.dumps(self.run(msg["seed"], msg["n"])).encode(), 0)

    def run(self, seed, n):
        counts = dict.fromkeys(NAMES, 0)
        errors = 0
        for i in range(n):
            r = random.Random(seed * 1_000_003 + i)
            name = r.choices(NAMES, WEIGHTS)[0]
            args = arguments(name, r)
            got = call(self.store, name, args, random.Random(i))
            want = call(self.model, name, args, random.Random(i))
            if got != want:
                raise AssertionError(
                    f"seed {seed} op {i}: {name}{short(args)}: store {short(got)} != model {short(want)}"
                )
            counts[name] += 1
            errors += got[0] == "error"
        return {"counts": counts, "errors": errors}

    def dump(self):
        end = b"\xff" * 5
        simple = [[k.hex(), self.model.get_state(k).hex()] for k in self.model.list_states(b"", end)]
        complex_ = []
        for kg in PARTS:
            for k in PARTS:
                for ns in PARTS:
                    for uk in self.model.list_complex(kg, k, ns, b"", end):
                        v = self.model.get(ComplexKey(kg, k, ns, uk))
                        complex_.append([kg.hex(), k.hex(), ns.hex(), uk.hex(), v.hex()])
        return {"simple": simple, "complex": complex_}

    def take_checkpoint(self, ctx, checkpoint_id):
        return pickle.dumps(self.model)

    def restore_checkpoint(self, ctx, checkpoint_id, data):
        self.model = pickle.loads(data)
`;

const PARTS = ["", "00", "61", "6100", "0061", "ff"];

function records(messages: unknown[]): InputRecord[] {
  return messages.map((message, i) => ({
    sourceId: 0,
    topic: "t",
    partition: 0,
    offset: BigInt(i),
    key: null,
    value: encoder.encode(JSON.stringify(message)),
    headers: [],
    timestamp: 0,
  }));
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text: string) =>
  new Uint8Array(text.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);

interface Totals {
  ops: number;
  errors: number;
  counts: Record<string, number>;
}

/** Runs `batches` batches of `perBatch` records; every 7th fails and is rolled back. */
async function runBatches(
  isolate: FunctionIsolate,
  backend: DenoKvStateBackend,
  first: number,
  batches: number,
  totals: Totals,
): Promise<void> {
  const perBatch = 4;
  const opsPerRecord = 125;
  for (let b = first; b < first + batches; b++) {
    const messages: unknown[] = [{ begin: b }];
    for (let i = 0; i < perBatch; i++) {
      messages.push({ seed: b * perBatch + i, n: opsPerRecord });
    }
    if (b % 7 === 3) {
      messages.push({ fail: true });
      await assert.rejects(
        isolate.process(records(messages)),
        (e) => e instanceof FsError && /on purpose/.test(e.message),
      );
      // The store forgot the failed batch's writes; the model goes back too.
      // (A real engine restarts the isolate instead; this checks the discard.)
      const rolled = await isolate.process(records([{ rollback: true }]));
      assert.deepEqual(rolled.mutations, []);
      continue;
    }
    const result = await isolate.process(records(messages));
    await backend.commit(FN, {
      mutations: result.mutations,
      positions: [{ topic: "t", partition: 0, nextOffset: BigInt(b + 1) }],
    });
    for (const text of texts(result.outputs)) {
      const { counts, errors } = JSON.parse(text);
      totals.errors += errors;
      for (const [name, count] of Object.entries(counts)) {
        totals.counts[name] = (totals.counts[name] ?? 0) + (count as number);
        totals.ops += count as number;
      }
    }
  }
}

/** Every entry of the store in Deno KV, in the dump's format. */
async function committed(backend: DenoKvStateBackend) {
  const simple = (await backend.listSimple(FN, STORE, {}, { limit: 100_000 }))
    .map((e) => [hex(e.key), hex(e.value)]);
  const complex: string[][] = [];
  for (const kg of PARTS) {
    for (const k of PARTS) {
      for (const ns of PARTS) {
        const prefix = {
          keyGroup: unhex(kg),
          key: unhex(k),
          namespace: unhex(ns),
        };
        const entries = await backend.listComplex(FN, STORE, prefix, {}, {
          limit: 100_000,
        });
        for (const e of entries) {
          complex.push([kg, k, ns, hex(e.key), hex(e.value)]);
        }
      }
    }
  }
  return { simple, complex };
}

Deno.test("KvStore in the sandbox matches MemoryKvStore over thousands of random operations, commits, failed batches and a restart", async () => {
  const temp = await TempKv.open();
  let backend = new DenoKvStateBackend(temp.kv);
  const start = (state: DenoKvStateBackend) =>
    startIsolate({
      functionName: FN,
      className: "ModelOp",
      modules: [pyModule("model_op", MODEL_OP)],
      state,
      // Small pages and cache: lists and scans span pages, and entries are
      // dropped and read back from Deno KV between batches.
      pageSize: 16,
      maxCachedEntries: 64,
    });
  const totals: Totals = { ops: 0, errors: 0, counts: {} };
  let isolate = await start(backend);
  const started = performance.now();
  try {
    await runBatches(isolate, backend, 0, 25, totals);

    // Restart: checkpoint, close, reopen the KV file, new isolate, restore.
    const checkpoint = await isolate.takeCheckpoint(1);
    assert.ok(checkpoint.extra);
    await backend.commit(FN, { mutations: checkpoint.mutations });
    const closed = await isolate.close();
    await backend.commit(FN, { mutations: closed.mutations });
    backend = new DenoKvStateBackend(await temp.reopen());
    isolate = await start(backend);
    await isolate.restoreCheckpoint(1, checkpoint.extra);

    await runBatches(isolate, backend, 25, 25, totals);
    const dump = await isolate.process(records([{ dump: true }]));
    const model = JSON.parse(texts(dump.outputs)[0]);
    assert.deepEqual(await committed(backend), model);
    assert.ok(model.simple.length > 50, `${model.simple.length} simple keys`);
    assert.ok(model.complex.length > 50, `${model.complex.length} entries`);
  } finally {
    await isolate.close();
    await temp.close();
  }
  console.log(
    `${totals.ops} operations (${totals.errors} raised in both) in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s: ${JSON.stringify(totals.counts)}`,
  );
  assert.ok(totals.ops >= 15_000, `${totals.ops} operations`);
  for (const [name, count] of Object.entries(totals.counts)) {
    assert.ok(count >= 100, `${name} ran ${count} times`);
  }
  assert.ok(totals.errors > 100);
});
