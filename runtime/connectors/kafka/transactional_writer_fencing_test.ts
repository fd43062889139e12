// Needs a broker: `deno task kafka` (bash scripts/kafka.sh start).
// Fencing and crash recovery of KafkaTransactionalWriter: a new writer with
// the same transactional id aborts what an older one left open and reports
// the token Kafka committed last.
import assert from "node:assert/strict";
import { FsError } from "../../core/mod.ts";
import type { KafkaOutputConfig, OutputRecord } from "../../core/mod.ts";
import {
  consumeAll,
  type ConsumedRecord,
  createTopic,
  kafkaBootstrap,
  uniqueTopic,
} from "../../../tests/helpers/kafka.ts";
import { KafkaTransactionalWriter } from "./transactional_writer.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function writer(
  topic: string,
  id = `fs-test-${topic}`,
  transactionTimeoutMs?: number,
) {
  const output: KafkaOutputConfig = {
    bootstrapServers: [kafkaBootstrap()],
    topic,
    partition: null,
    clientSettings: {},
  };
  return new KafkaTransactionalWriter([output], {
    transactionalId: id,
    clientId: "fs-test",
    logger: () => {},
    transactionTimeoutMs,
  });
}

function records(prefix: string, count: number): OutputRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    channel: 0,
    key: encode(`k${i}`),
    value: encode(`${prefix}${i}`),
  }));
}

const values = (read: ConsumedRecord[]) =>
  read.map((r) => decode(r.value)).sort();

function isConflict(error: unknown): boolean {
  assert.ok(error instanceof FsError, String(error));
  assert.equal(error.code, "CONFLICT", error.message);
  assert.match(
    error.message,
    /as another writer with transactional id 'fs-test-[^']+' took over/,
  );
  return true;
}

Deno.test("KafkaTransactionalWriter: a second writer with the same id fences the first, whose records never become visible", async () => {
  const topic = uniqueTopic("txn-fence");
  await createTopic(topic, { partitions: 2 });
  const first = writer(topic);
  const second = writer(topic);
  try {
    assert.equal(await first.open(), null);
    await first.send(records("a", 10));
    await first.commit("first-1");
    await first.send(records("fenced", 10));
    assert.equal(await second.open(), "first-1");
    await assert.rejects(() => first.commit("first-2"), isConflict);
    await assert.rejects(() => first.send(records("late", 1)), isConflict);
    await assert.rejects(() => first.abort(), isConflict);
    await second.send(records("b", 10));
    await second.commit("second-1");
  } finally {
    await first.close();
    await second.close();
  }
  const committed = await consumeAll(topic, {
    count: 21,
    timeoutMs: 3_000,
    isolation: "read_committed",
  });
  assert.deepEqual(
    values(committed),
    [...records("a", 10), ...records("b", 10)].map((r) => decode(r.value))
      .sort(),
  );
  const third = writer(topic);
  try {
    assert.equal(await third.open(), "second-1");
  } finally {
    await third.close();
  }
});

Deno.test("KafkaTransactionalWriter.abort() after a refused send stops a fenced writer instead of fencing the new one back", async () => {
  const topic = uniqueTopic("txn-fence-failed");
  await createTopic(topic, { partitions: 1 });
  const first = writer(topic);
  const second = writer(topic);
  try {
    await first.open();
    await first.send(records("a", 2));
    const huge = { channel: 0, value: new Uint8Array(2 * 1024 * 1024) };
    await assert.rejects(
      () => first.send([huge]),
      /larger than the max message size/,
    );
    assert.equal(await second.open(), null);
    await assert.rejects(() => first.abort(), isConflict);
    await second.send(records("b", 3));
    await second.commit("second");
  } finally {
    await first.close();
    await second.close();
  }
  const committed = await consumeAll(topic, {
    count: 4,
    timeoutMs: 3_000,
    isolation: "read_committed",
  });
  assert.deepEqual(values(committed), ["b0", "b1", "b2"]);
});

Deno.test("KafkaTransactionalWriter: a writer abandoned mid-transaction is aborted by the next open(), which returns the previous token", async () => {
  const topic = uniqueTopic("txn-abandon");
  await createTopic(topic, { partitions: 1 });
  const abandoned = writer(topic);
  const next = writer(topic);
  try {
    await abandoned.open();
    await abandoned.send(records("kept", 5));
    await abandoned.commit("kept");
    await abandoned.send(records("lost", 5));
    // No commit, no close: as if the process stopped here.
    assert.equal(await next.open(), "kept");
    await next.send(records("again", 5));
    await next.commit("again");
  } finally {
    await next.close();
    await abandoned.close(); // only now, to release its sockets
  }
  const committed = await consumeAll(topic, {
    count: 11,
    timeoutMs: 3_000,
    isolation: "read_committed",
  });
  assert.deepEqual(
    committed.map((r) => decode(r.value)),
    [...records("kept", 5), ...records("again", 5)].map((r) => decode(r.value)),
  );
  const all = await consumeAll(topic, { count: 15, timeoutMs: 10_000 });
  assert.equal(all.length, 15, "the lost records were written, then aborted");
});

Deno.test("KafkaTransactionalWriter: after a SIGKILL mid-transaction, a new writer returns the last committed token and the open records stay invisible", async () => {
  const topic = uniqueTopic("txn-sigkill");
  await createTopic(topic, { partitions: 2 });
  const id = `fs-test-${topic}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./testdata/crashing_writer.ts", import.meta.url).pathname,
      kafkaBootstrap(),
      topic,
      id,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("sent")) {
    const { value, done } = await reader.read();
    if (done) break;
    output += value;
  }
  child.kill("SIGKILL");
  await reader.cancel();
  const status = await child.status;
  assert.equal(output.trim(), "sent");
  assert.equal(status.signal, "SIGKILL");

  const next = writer(topic, id);
  try {
    assert.equal(await next.open(), "before-crash");
    await next.commit("after-crash");
  } finally {
    await next.close();
  }
  const committed = await consumeAll(topic, {
    count: 6,
    timeoutMs: 3_000,
    isolation: "read_committed",
  });
  assert.deepEqual(
    values(committed),
    [0, 1, 2, 3, 4].map((i) => `committed-${i}`),
  );
  const all = await consumeAll(topic, { count: 10, timeoutMs: 10_000 });
  assert.equal(all.length, 10, "the open records reached the broker");
});

const DELAYS_MS = [0, 2, 5, 10, 20, 40];

/**
 * Commits; true when it succeeded, false when it failed as fenced or with an
 * unknown outcome (the coordinator may answer CONCURRENT_TRANSACTIONS or an
 * unknown error to an EndTxn racing a fence; only open() can tell).
 */
function commitOutcome(
  w: KafkaTransactionalWriter,
  token: string,
): Promise<boolean> {
  return w.commit(token).then(() => true, (error) => {
    assert.ok(error instanceof FsError, String(error));
    if (error.code !== "CONFLICT") {
      assert.equal(error.code, "UNAVAILABLE", error.message);
      assert.match(error.message, /the outcome is unknown/);
    }
    return false;
  });
}

Deno.test("KafkaTransactionalWriter.open() during a commit in flight reports its token exactly when that commit succeeded", async () => {
  const topic = uniqueTopic("txn-race");
  await createTopic(topic, { partitions: 1 });
  const id = `fs-test-${topic}`;
  const outcomes: string[] = [];
  let previous: string | null = null;
  for (let round = 0; round < 2 * DELAYS_MS.length; round++) {
    const committing = writer(topic, id);
    const opening = writer(topic, id);
    try {
      assert.equal(await committing.open(), previous);
      await committing.send(records(`r${round}-`, 20));
      const token = `round-${round}`;
      // Start one, then the other after a delay that grows over the rounds,
      // so that the InitProducerId of open() reaches the coordinator before
      // the commit, between its requests, or while it completes.
      const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const wait = DELAYS_MS[round % DELAYS_MS.length];
      let commit: Promise<boolean>;
      let opened: Promise<string | null>;
      if (round < DELAYS_MS.length) {
        commit = commitOutcome(committing, token);
        await delay(wait);
        opened = opening.open();
      } else {
        opened = opening.open();
        await delay(wait);
        commit = commitOutcome(committing, token);
      }
      const seen = await opened;
      const committed = await commit;
      assert.equal(seen, committed ? token : previous, `round ${round}`);
      outcomes.push(committed ? "committed" : "fenced");
      previous = seen;
    } finally {
      await committing.close();
      await opening.close();
    }
  }
  const read = await consumeAll(topic, {
    count: 20 * 2 * DELAYS_MS.length + 1,
    timeoutMs: 3_000,
    isolation: "read_committed",
  });
  assert.equal(
    read.length,
    20 * outcomes.filter((o) => o === "committed").length,
    outcomes.join(","),
  );
  console.log(`commit vs open outcomes: ${outcomes.join(", ")}`);
});

Deno.test("KafkaTransactionalWriter: a transaction open past transactionTimeoutMs is aborted by the broker and its commit fails with CONFLICT", async () => {
  const topic = uniqueTopic("txn-timeout");
  await createTopic(topic, { partitions: 1 });
  const id = `fs-test-${topic}`;
  const slow = writer(topic, id, 1_000);
  try {
    await slow.open();
    await slow.commit("in-time");
    await slow.send(records("late", 3));
    // The broker looks for expired transactions every 10 s by default
    // (transaction.abort.timed.out.transaction.cleanup.interval.ms).
    await new Promise((r) => setTimeout(r, 13_000));
    await assert.rejects(() => slow.commit("too-late"), (error: unknown) => {
      isConflict(error);
      assert.match((error as Error).message, /transactionTimeoutMs/);
      return true;
    });
  } finally {
    await slow.close();
  }
  const next = writer(topic, id);
  try {
    assert.equal(await next.open(), "in-time");
  } finally {
    await next.close();
  }
  const committed = await consumeAll(topic, {
    count: 1,
    timeoutMs: 2_000,
    isolation: "read_committed",
  });
  assert.equal(committed.length, 0);
});
