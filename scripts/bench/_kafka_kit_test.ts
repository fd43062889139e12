import assert from "node:assert/strict";
import {
  BenchProducer,
  benchTopic,
  createTopics,
  deleteTopics,
  OutputWatcher,
} from "./_kafka_kit.ts";

Deno.test({
  name: "OutputWatcher sees every output with its latest total per metric",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const topic = benchTopic("kit-test");
    await createTopics([{ topic, partitions: 1 }]);
    const enc = new TextEncoder();
    const producer = await BenchProducer.open();
    try {
      await producer.send(topic, [
        enc.encode('{"metric": "a", "total": 1}'),
        enc.encode('{"metric": "b", "total": 5}'),
      ]);
      const watcher = await OutputWatcher.open(topic);
      await producer.send(topic, [enc.encode('{"metric": "a", "total": 2}')]);
      const done = await watcher.waitUntil(
        () => watcher.arrivals.length >= 3,
        30_000,
      );
      await watcher.close();
      assert.equal(done, true);
      assert.deepEqual(Object.fromEntries(watcher.latest), { a: 2, b: 5 });
      assert.ok(
        watcher.arrivals.every((a) => a.createdMs > 0 && a.arrivedMs > 0),
      );
      assert.equal(await watcher.waitUntil(() => false, 10), false);
    } finally {
      await producer.close();
      await deleteTopics([topic]);
    }
  },
});
