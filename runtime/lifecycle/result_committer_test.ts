import assert from "node:assert/strict";
import {
  type CheckpointInfo,
  createLogger,
  type OutputRecord,
  parseTaskConfig,
  type StateKey,
  type StateMutation,
  type TaskConfig,
} from "../core/mod.ts";
import type { SinkWriter, TransactionalWriter } from "../connectors/mod.ts";
import type { BatchResult, CheckpointResult } from "../isolate/mod.ts";
import { MemoryStateBackend } from "../state/mod.ts";
import { CheckpointCommitter, DirectCommitter } from "./result_committer.ts";

const enc = new TextEncoder();
const key = (k: string): StateKey => ({ kind: "simple", key: enc.encode(k) });
const put = (k: string, v: string): StateMutation => ({
  op: "put",
  store: "s",
  key: key(k),
  value: enc.encode(v),
});
const out = (v: string): OutputRecord => ({
  channel: 0,
  key: null,
  value: enc.encode(v),
  headers: [],
});
const at = (nextOffset: bigint) => [{ topic: "in", partition: 0, nextOffset }];
const text = (b: Uint8Array | null) =>
  b === null ? null : new TextDecoder().decode(b);

function config(extra = ""): TaskConfig {
  return parseTaskConfig(`name: f
enable_checkpoint: true
input-groups:
- inputs:
  - {bootstrap_servers: 'k:1', topic: in, group_id: g}
outputs:
- {bootstrap_servers: 'k:1', topic: out}
${extra}`);
}

class FakeSink implements SinkWriter {
  sent: string[] = [];
  send(records: OutputRecord[]): Promise<void> {
    this.sent.push(...records.map((r) => text(r.value)!));
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A writer whose "Kafka" remembers committed records and the last token. */
class FakeWriter implements TransactionalWriter {
  committed: string[] = [];
  open_: string[] = [];
  failCommit = false;
  failSend = false;
  hangCommit = false;
  constructor(public token: string | null = null) {}
  open(): Promise<string | null> {
    return Promise.resolve(this.token);
  }
  send(records: OutputRecord[]): Promise<void> {
    if (this.failSend) return Promise.reject(new Error("send refused"));
    this.open_.push(...records.map((r) => text(r.value)!));
    return Promise.resolve();
  }
  commit(token: string): Promise<void> {
    if (this.hangCommit) return new Promise(() => {});
    if (this.failCommit) return Promise.reject(new Error("broker gone"));
    this.committed.push(...this.open_);
    this.open_ = [];
    this.token = token;
    return Promise.resolve();
  }
  abort(): Promise<void> {
    this.open_ = [];
    return Promise.resolve();
  }
  close(): Promise<void> {
    return this.abort();
  }
}

function target(
  extra: string | null,
  result: Partial<BatchResult> = {},
): { takeCheckpoint(id: number): Promise<CheckpointResult>; ids: number[] } {
  const ids: number[] = [];
  return {
    ids,
    takeCheckpoint(id: number) {
      ids.push(id);
      return Promise.resolve({
        outputs: result.outputs ?? [],
        mutations: result.mutations ?? [],
        extra: extra === null ? null : enc.encode(extra),
      });
    },
  };
}

async function open(
  store: MemoryStateBackend,
  options: {
    writer?: FakeWriter;
    config?: TaskConfig;
    sinks?: FakeSink[];
    deadlineMs?: number;
  },
) {
  return await CheckpointCommitter.open({
    config: options.config ?? config(),
    store,
    sinks: options.sinks ?? [],
    logger: createLogger({ format: "text", write: () => {} }),
    kafkaLog: () => {},
    openWriter: () => options.writer ?? new FakeWriter(),
    deadlineMs: options.deadlineMs,
  });
}

Deno.test("DirectCommitter writes outputs at once and commits state with positions per call", async () => {
  const state = new MemoryStateBackend();
  const sink = new FakeSink();
  const direct = new DirectCommitter("f", { state, sinks: [sink] });
  await direct.commit({ outputs: [out("a")], mutations: [put("k", "1")] }, {
    positions: at(5n),
    moved: true,
  });
  assert.deepEqual(sink.sent, ["a"]);
  assert.equal(text(await state.get("f", "s", key("k"))), "1");
  assert.deepEqual(await state.positions("f"), at(5n));
});

Deno.test("CheckpointCommitter buffers state until a checkpoint, which commits the transaction with it", async () => {
  const store = new MemoryStateBackend();
  const writer = new FakeWriter();
  const { committer, latest } = await open(store, { writer });
  assert.equal(latest, null);
  await committer.commit({ outputs: [out("a")], mutations: [put("k", "1")] }, {
    positions: at(1n),
    moved: true,
  });
  // The operator sees its write; the store does not have it yet.
  assert.equal(text(await committer.state.get("f", "s", key("k"))), "1");
  assert.equal(await store.get("f", "s", key("k")), null);
  assert.deepEqual(writer.committed, []);
  const hook = target("op-bytes", { mutations: [put("j", "2")] });
  const info = await committer.checkpoint(hook, { positions: at(1n) });
  assert.deepEqual(hook.ids, [info.id]);
  assert.deepEqual(writer.committed, ["a"]);
  assert.equal(writer.token, info.token);
  assert.equal(text(await store.get("f", "s", key("k"))), "1");
  assert.equal(text(await store.get("f", "s", key("j"))), "2");
  assert.deepEqual(await store.positions("f"), at(1n));
  const restored = await store.latestCheckpoint("f");
  assert.equal(restored?.info.id, info.id);
  assert.equal(text(restored?.operatorData ?? null), "op-bytes");
  await committer.close();
});

Deno.test("CheckpointCommitter keeps only checkpoints_retained checkpoints", async () => {
  const store = new MemoryStateBackend();
  const { committer } = await open(store, {
    config: config("checkpoints_retained: 2"),
  });
  const ids: number[] = [];
  for (let i = 1; i <= 4; i++) {
    await committer.commit({ outputs: [], mutations: [put("k", `${i}`)] }, {
      positions: at(BigInt(i)),
      moved: true,
    });
    ids.push(
      (await committer.checkpoint(target(null), {
        positions: at(BigInt(i)),
      })).id,
    );
  }
  const kept = (await store.listCheckpoints("f")).map((c: CheckpointInfo) =>
    c.id
  );
  assert.deepEqual(kept, ids.slice(2));
});

Deno.test("CheckpointCommitter leaves a checkpoint prepared when the transaction commit fails; recovery decides by the token", async () => {
  const store = new MemoryStateBackend();
  const writer = new FakeWriter();
  const first = await open(store, { writer });
  await first.committer.commit({
    outputs: [out("a")],
    mutations: [put("k", "1")],
  }, {
    positions: at(1n),
    moved: true,
  });
  writer.failCommit = true;
  await assert.rejects(
    first.committer.checkpoint(target(null), { positions: at(1n) }),
    /broker gone/,
  );
  const prepared = await store.preparedCheckpoint("f");
  assert.notEqual(prepared, null);
  // The transaction did not commit: the new writer reports the old token.
  const again = await open(store, { writer: new FakeWriter(null) });
  assert.equal(await store.preparedCheckpoint("f"), null);
  assert.equal(again.latest, null);
  assert.equal(await store.get("f", "s", key("k")), null);
});

Deno.test("CheckpointCommitter recovery completes a prepared checkpoint whose transaction committed", async () => {
  const store = new MemoryStateBackend();
  const id = await store.nextCheckpointId("f");
  const info = await store.prepareCheckpoint("f", {
    id,
    createdAtMs: Date.now(),
    token: "tok-1",
    mutations: [put("k", "9")],
    positions: at(3n),
    operatorData: enc.encode("x"),
  });
  const { latest } = await open(store, { writer: new FakeWriter(info.token) });
  assert.equal(latest?.info.id, id);
  assert.equal(text(latest?.operatorData ?? null), "x");
  assert.equal(text(await store.get("f", "s", key("k"))), "9");
  assert.deepEqual(await store.positions("f"), at(3n));
});

Deno.test("CheckpointCommitter with at_least_once writes outputs at once and completes a prepared checkpoint", async () => {
  const store = new MemoryStateBackend();
  const id = await store.nextCheckpointId("f");
  await store.prepareCheckpoint("f", {
    id,
    createdAtMs: Date.now(),
    token: "tok",
    mutations: [put("k", "1")],
    positions: at(1n),
    operatorData: null,
  });
  const sink = new FakeSink();
  const { committer, latest } = await open(store, {
    config: config("checkpoint_guarantee: at_least_once"),
    sinks: [sink],
  });
  assert.equal(latest?.info.id, id);
  await committer.commit({ outputs: [out("b")], mutations: [] }, {
    positions: at(2n),
    moved: true,
  });
  assert.deepEqual(sink.sent, ["b"]);
});

Deno.test("CheckpointCommitter does not wait for output acks per call, but a failed write fails the checkpoint and later commits", async () => {
  const store = new MemoryStateBackend();
  const writer = new FakeWriter();
  const { committer } = await open(store, { writer });
  writer.failSend = true;
  await committer.commit({ outputs: [out("a")], mutations: [put("k", "1")] }, {
    positions: at(1n),
    moved: true,
  });
  await assert.rejects(
    committer.checkpoint(target(null), { positions: at(1n) }),
    /send refused/,
  );
  assert.equal(await store.preparedCheckpoint("f"), null);
  assert.deepEqual(await store.listCheckpoints("f"), []);
  await assert.rejects(
    committer.commit({ outputs: [out("b")], mutations: [] }, {
      positions: at(2n),
      moved: true,
    }),
    /send refused/,
  );
});

Deno.test("CheckpointCommitter fails a checkpoint that hangs past its deadline, leaving it to recovery", async () => {
  const store = new MemoryStateBackend();
  const writer = new FakeWriter();
  const { committer } = await open(store, { writer, deadlineMs: 50 });
  writer.hangCommit = true;
  await assert.rejects(
    committer.checkpoint(target(null), { positions: at(0n) }),
    /took longer than 50 ms/,
  );
  assert.notEqual(await store.preparedCheckpoint("f"), null);
});
