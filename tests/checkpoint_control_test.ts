/**
 * Checkpoint control through the real server and broker: a triggered
 * checkpoint answers with its id once complete and is listed with its input
 * positions; outputs of an exactly-once function are visible to a
 * read_committed reader only once checkpointed; a stopped function restored
 * to an earlier checkpoint continues from that state; `take_checkpoint`'s
 * bytes come back through `restore_checkpoint`; wrong states and unknown ids
 * get 409/404/400; drop deletes the checkpoints.
 */
import assert from "node:assert/strict";
import type { FunctionStreamClient } from "../api/cli/client.ts";
import { consumeAll, createTopic, uniqueTopic } from "./helpers/kafka.ts";
import {
  createFunction,
  functionRow,
  produceTimed,
  taskYaml,
  waitFor,
  withServer,
} from "./_lifecycle_util.ts";

const COUNTER = `from fs_api import FSProcessorDriver

class Counter(FSProcessorDriver):
    def init(self, ctx, config):
        self.store = ctx.getOrCreateKVStore("counts")
        self.restored = b"-"

    def process(self, ctx, source_id, data):
        n = int(self.store.get_state(b"n") or 0) + 1
        self.store.put_state(b"n", str(n).encode())
        ctx.emit(f"{data.decode()}:{n}:{self.restored.decode()}".encode(), 0)

    def take_checkpoint(self, ctx, checkpoint_id):
        return f"cp{checkpoint_id}".encode()

    def restore_checkpoint(self, ctx, checkpoint_id, data):
        self.restored = data
`;

function texts(records: { value: Uint8Array }[]): string[] {
  return records.map((r) => new TextDecoder().decode(r.value));
}

async function trigger(
  client: FunctionStreamClient,
  name: string,
): Promise<number> {
  const reply = await client.triggerCheckpoint(name);
  assert.equal(reply.status_code, 201, reply.message);
  return Number(reply.checkpoint_id);
}

async function produceValues(topic: string, values: string[]): Promise<void> {
  await produceTimed(topic, values.map((value) => ({ value })));
}

Deno.test({
  name:
    "checkpoints: trigger, list, exactly-once visibility, restore and drop through gRPC",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withServer(async ({ client }) => {
      const input = uniqueTopic("cp-in");
      const output = uniqueTopic("cp-out");
      await createTopic(input);
      await createTopic(output);
      const name = `cp-${crypto.randomUUID().slice(0, 8)}`;
      await createFunction(client, {
        className: "Counter",
        source: COUNTER,
        yaml: taskYaml({
          name,
          inputs: [input],
          outputs: [output],
          // A long interval: only triggered checkpoints happen in the test.
          extra: {
            enable_checkpoint: "true",
            checkpoint_interval_seconds: 3600,
          },
        }),
      });
      await produceValues(input, ["a", "b", "c"]);
      // Processed, but not committed yet: read_committed sees nothing.
      await waitFor("a, b, c processed (uncommitted)", async () => {
        const seen = await consumeAll(output, { count: 3, timeoutMs: 1000 });
        return seen.length === 3 ? true : undefined;
      });
      const hidden = await consumeAll(output, {
        count: 1,
        timeoutMs: 1500,
        isolation: "read_committed",
      });
      assert.deepEqual(texts(hidden), []);
      const first = await trigger(client, name);
      const committed = await consumeAll(output, {
        count: 3,
        timeoutMs: 10_000,
        isolation: "read_committed",
      });
      assert.deepEqual(texts(committed), ["a:1:-", "b:2:-", "c:3:-"]);

      const listed = await client.listCheckpoints(name);
      assert.equal(listed.status_code, 200, listed.message);
      assert.equal(listed.checkpoints.length, 1);
      const info = listed.checkpoints[0];
      assert.equal(Number(info.checkpoint_id), first);
      assert.deepEqual(
        info.positions.map((
          p,
        ) => [p.topic, p.partition, String(p.next_offset)]),
        [[input, 0, "3"]],
      );
      assert.ok(Number(info.size_bytes) > 0);

      await produceValues(input, ["d", "e"]);
      await waitFor("d, e processed", async () => {
        const seen = await consumeAll(output, { count: 5, timeoutMs: 1000 });
        return seen.length === 5 ? true : undefined;
      });
      const second = await trigger(client, name);
      assert.ok(second > first, `${second} > ${first}`);

      const running = await client.restoreCheckpoint(name, String(first));
      assert.equal(running.status_code, 409, running.message);
      assert.equal((await client.stopFunction(name)).status_code, 200);
      const unknown = await client.restoreCheckpoint(name, "999999");
      assert.equal(unknown.status_code, 404, unknown.message);
      const stoppedTrigger = await client.triggerCheckpoint(name);
      assert.equal(stoppedTrigger.status_code, 409, stoppedTrigger.message);

      // Back to after "c": the count continues from 3, and the operator got
      // the bytes its take_checkpoint returned for that checkpoint.
      const restored = await client.restoreCheckpoint(name, String(first));
      assert.equal(restored.status_code, 200, restored.message);
      const after = await client.listCheckpoints(name);
      assert.deepEqual(
        after.checkpoints.map((c) => Number(c.checkpoint_id)),
        [first],
      );
      assert.equal((await client.startFunction(name)).status_code, 200);
      await waitFor(
        "RUNNING",
        async () =>
          (await functionRow(client, name)).status === "RUNNING"
            ? true
            : undefined,
      );
      const third = await trigger(client, name);
      assert.ok(third > second, "ids are never reused after a restore");
      const replayed = await consumeAll(output, {
        count: 7,
        timeoutMs: 10_000,
        isolation: "read_committed",
      });
      assert.deepEqual(texts(replayed).slice(5), [
        `d:4:cp${first}`,
        `e:5:cp${first}`,
      ]);

      assert.equal((await client.dropFunction(name)).status_code, 200);
      const gone = await client.listCheckpoints(name);
      assert.equal(gone.status_code, 404, gone.message);
    }),
});

Deno.test({
  name: "checkpoints: trigger on a function without checkpoints answers 400",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withServer(async ({ client }) => {
      const input = uniqueTopic("cp-off-in");
      await createTopic(input);
      const name = `cp-off-${crypto.randomUUID().slice(0, 8)}`;
      await createFunction(client, {
        className: "Counter",
        source: COUNTER,
        yaml: taskYaml({ name, inputs: [input], outputs: [] }),
      });
      const reply = await client.triggerCheckpoint(name);
      assert.equal(reply.status_code, 400, reply.message);
      assert.match(reply.message, /enable_checkpoint/);
      const missing = await client.triggerCheckpoint("no-such-function");
      assert.equal(missing.status_code, 404, missing.message);
    }),
});
