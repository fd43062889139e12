import assert from "node:assert/strict";
import {
  restoreSparse,
  takeCollector,
  zeroFreeMemory,
} from "./_worker_load.ts";
import { HEAP_PAGE_BYTES, heapRuns } from "./_snapshot_file.ts";
import { workerPermissions } from "./_worker.ts";
import { testSnapshot } from "./_test_util.ts";

const PAGE = HEAP_PAGE_BYTES;

function snapshotOf(image: Uint8Array, heapStart = 32): Uint8Array {
  const bytes = new Uint8Array(heapStart + image.length);
  new DataView(bytes.buffer).setUint32(4, heapStart, true);
  bytes.set([1, 2, 3], 16); // stands for Pyodide's JSON table
  bytes.set(image, heapStart);
  return bytes;
}

Deno.test("restoreSparse() leaves the memory equal to the image, clearing what instantiation wrote over its zero pages", () => {
  const image = new Uint8Array(8 * PAGE);
  image.fill(7, 0, PAGE); // page 0, as data segments
  image.fill(5, 3 * PAGE + 10, 4 * PAGE + 20); // pages 3-4
  image[7 * PAGE + 1] = 1; // page 7
  const snapshot = snapshotOf(image);
  // The memory is larger than the image; instantiation left bytes in a
  // page that is zero in the image (2) and past the image (9).
  const heap = new Uint8Array(10 * PAGE);
  heap.fill(0xee, 0, PAGE);
  heap[2 * PAGE + 100] = 0xaa;
  heap[9 * PAGE] = 0xbb;
  const headers: Uint8Array[] = [];
  const module = {
    API: {
      restoreSnapshot(bytes: Uint8Array) {
        headers.push(bytes.slice());
        return "table";
      },
    },
    HEAPU8: heap,
  };
  const restore = restoreSparse(module, heapRuns(snapshot));
  assert.equal(restore(snapshot), "table");
  assert.deepEqual(headers, [snapshot.slice(0, 32)]);
  assert.deepEqual(heap.subarray(0, image.length), image);
  assert.equal(
    heap[9 * PAGE],
    0xbb,
    "memory past the image is not Pyodide's to restore",
  );
});

Deno.test("restoreSparse() refuses an image larger than the memory or runs past the image", () => {
  const image = new Uint8Array(4 * PAGE);
  image[3 * PAGE] = 1;
  const snapshot = snapshotOf(image);
  const api = { restoreSnapshot: () => null };
  const small = { API: api, HEAPU8: new Uint8Array(2 * PAGE) };
  assert.throws(
    () => restoreSparse(small, heapRuns(snapshot))(snapshot),
    RangeError,
  );
  const fits = { API: api, HEAPU8: new Uint8Array(4 * PAGE) };
  const runsPast = Int32Array.from([0, 5 * PAGE]);
  assert.throws(() => restoreSparse(fits, runsPast)(snapshot), RangeError);
});

/** Runs _worker_load_probe.ts with `message` and returns its answer. */
async function probe(
  message: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const indexPath = (message.load as { indexPath: string }).indexPath;
  const worker = new Worker(
    new URL("./_worker_load_probe.ts", import.meta.url),
    {
      type: "module",
      deno: {
        permissions: {
          ...workerPermissions(indexPath),
          read: [`${indexPath}python_stdlib.zip`],
        },
      },
    } as WorkerOptions,
  );
  // Pyodide waits forever when its own hook cannot read the file.
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage(message);
      timer = setTimeout(() => resolve({ error: "no answer in 60 s" }), 60_000);
    });
  } finally {
    clearTimeout(timer);
    worker.terminate();
  }
}

Deno.test("load() starts Pyodide from the host's compiled module without reading pyodide.asm.wasm", async () => {
  const snapshot = await testSnapshot();
  const reply = await probe({ load: snapshot.load, snapshot: snapshot.bytes });
  assert.deepEqual(reply, { ok: "42 JsException" });
});

Deno.test("load() keeps no reference to the snapshot's bytes once Pyodide has loaded", async () => {
  const snapshot = await testSnapshot();
  // A copy of its own, as a process isolate has (not the shared bytes).
  const bytes = snapshot.bytes.slice();
  const reply = await probe({
    load: snapshot.load,
    snapshot: bytes,
    release: true,
  });
  assert.deepEqual(reply, { released: true });
});

Deno.test("takeCollector() runs a full collection that frees unreachable objects", () => {
  const collect = takeCollector();
  let garbage: number[][] | null = Array.from(
    { length: 200_000 },
    (_, i) => [i, i + 1, i + 2],
  );
  const before = Deno.memoryUsage().heapUsed;
  assert.equal(garbage.length, 200_000);
  garbage = null;
  collect();
  const after = Deno.memoryUsage().heapUsed;
  assert.ok(
    before - after > 10 * 2 ** 20,
    `heap used went from ${before} to ${after} bytes`,
  );
  assert.equal("gc" in globalThis, false);
});

Deno.test("zeroFreeMemory() zeroes the free blocks below the break and gives every block back", () => {
  const MiB = 2 ** 20;
  const memory = new Uint8Array(8 * MiB).fill(0xdd);
  let brk = 4 * MiB;
  // Free blocks the allocator hands out before carving past the break.
  const free = [[MiB, MiB], [3 * MiB, 64 * 1024], [3 * MiB + 65536, 4096]];
  const freed: number[] = [];
  const module = {
    HEAPU8: memory,
    _sbrk: (increment: number) => (brk += increment) - increment,
    _free: (block: number) => freed.push(block),
    _malloc(size: number) {
      const fit = free.findIndex(([, length]) => length >= size);
      if (fit >= 0) return free.splice(fit, 1)[0][0];
      brk += size;
      return brk - size;
    },
  };
  const zeroed = zeroFreeMemory(
    { _module: module } as unknown as Parameters<typeof zeroFreeMemory>[0],
  );
  assert.equal(zeroed, MiB + 65536 + 4096);
  assert.ok(memory.subarray(MiB, 2 * MiB).every((b) => b === 0));
  assert.ok(memory.subarray(3 * MiB, 3 * MiB + 69632).every((b) => b === 0));
  assert.equal(memory[2 * MiB], 0xdd, "memory in use is left alone");
  assert.equal(memory[4 * MiB], 0xdd, "blocks past the break are not written");
  assert.ok(brk + 2 * 4096 <= memory.length, "the memory never had to grow");
  assert.equal(freed.length, new Set(freed).size);
  assert.ok(freed.includes(MiB) && freed.includes(3 * MiB));
});
