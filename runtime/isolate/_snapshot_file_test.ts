import assert from "node:assert/strict";
import {
  HEAP_PAGE_BYTES,
  heapRuns,
  pruneStaleSnapshots,
  readCached,
  writeCached,
} from "./_snapshot_file.ts";

const PAGE = HEAP_PAGE_BYTES;

/** A payload shaped like Pyodide's: 16 header bytes, the heap image after. */
function payloadWith(image: Uint8Array, heapStart = 16): Uint8Array {
  const payload = new Uint8Array(heapStart + image.length);
  new DataView(payload.buffer).setUint32(4, heapStart, true);
  payload.set(image, heapStart);
  return payload;
}

Deno.test("heapRuns() lists the nonzero pages of the heap image, adjacent pages merged", () => {
  const image = new Uint8Array(6 * PAGE);
  image[1 * PAGE] = 1; // page 1
  image[3 * PAGE - 1] = 2; // last byte of page 2
  image[5 * PAGE + 7] = 3; // page 5
  const runs = heapRuns(payloadWith(image));
  assert.deepEqual([...runs], [PAGE, 3 * PAGE, 5 * PAGE, 6 * PAGE]);
});

Deno.test("heapRuns() ignores the header and reads a short last page", () => {
  const image = new Uint8Array(2 * PAGE + 100);
  image[2 * PAGE + 99] = 9;
  const payload = payloadWith(image, 128);
  payload[20] = 0xff; // header bytes are not part of the image
  assert.deepEqual([...heapRuns(payload)], [2 * PAGE, 2 * PAGE + 100]);
  assert.deepEqual([...heapRuns(payloadWith(new Uint8Array(PAGE)))], []);
});

Deno.test("heapRuns() refuses a payload whose header points outside it", () => {
  const payload = payloadWith(new Uint8Array(PAGE));
  new DataView(payload.buffer).setUint32(4, payload.length + 1, true);
  assert.throws(() => heapRuns(payload), RangeError);
  assert.throws(() => heapRuns(new Uint8Array(4)), RangeError);
});

Deno.test("readCached() returns what writeCached() wrote and null for a damaged or missing file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fs-snapshot-file-" });
  try {
    const path = `${dir}/x.snapshot`;
    assert.equal(await readCached(path), null);
    const payload = crypto.getRandomValues(new Uint8Array(1000));
    await writeCached(path, payload);
    assert.deepEqual(await readCached(path), payload);
    const file = await Deno.readFile(path);
    file[file.length - 1] ^= 1;
    await Deno.writeFile(path, file);
    assert.equal(await readCached(path), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pruneStaleSnapshots() removes old snapshot files of other keys only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fs-snapshot-prune-" });
  try {
    const names = [
      "pyodide-aa11.snapshot", // the current one: kept
      "pyodide-bb22.snapshot", // another key, old: removed
      "pyodide-cc33.snapshot", // another key, young: kept
      "pyodide-dd44.snapshot.123.tmp", // a write in progress: kept
      "notes.txt", // not a snapshot: kept
    ];
    for (const name of names) await Deno.writeTextFile(`${dir}/${name}`, "x");
    const now = Date.now();
    const old = new Date(now - 2 * 60 * 60 * 1000);
    for (const name of ["pyodide-aa11.snapshot", "pyodide-bb22.snapshot"]) {
      await Deno.utime(`${dir}/${name}`, old, old);
    }
    const removed = await pruneStaleSnapshots(dir, {
      keep: "pyodide-aa11.snapshot",
      now,
    });
    assert.deepEqual(removed, ["pyodide-bb22.snapshot"]);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, names.filter((n) => n !== removed[0]).sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
