import assert from "node:assert/strict";
import { RwLock } from "./_rw_lock.ts";

const tick = () => new Promise((r) => setTimeout(r, 1));

Deno.test("RwLock.write() waits for running readers and blocks later readers", async () => {
  const lock = new RwLock();
  const events: string[] = [];
  let releaseReader!: () => void;
  const r1 = lock.read(async () => {
    events.push("r1 start");
    await new Promise<void>((r) => releaseReader = r);
    events.push("r1 end");
  });
  const w = lock.write(async () => {
    events.push("w start");
    await tick();
    events.push("w end");
  });
  const r2 = lock.read(() => {
    events.push("r2");
    return Promise.resolve();
  });
  await tick();
  assert.deepEqual(events, ["r1 start"]);
  releaseReader();
  await Promise.all([r1, w, r2]);
  assert.deepEqual(events, ["r1 start", "r1 end", "w start", "w end", "r2"]);
});

Deno.test("RwLock.read() lets readers run together and releases on errors", async () => {
  const lock = new RwLock();
  let running = 0;
  let peak = 0;
  const reader = () =>
    lock.read(async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
    });
  await Promise.all([reader(), reader(), reader()]);
  assert.equal(peak, 3);
  await assert.rejects(
    lock.write(() => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.equal(await lock.read(() => Promise.resolve(7)), 7);
});
