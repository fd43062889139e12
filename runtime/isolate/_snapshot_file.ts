/**
 * The snapshot cache file: `FSPYSNP1`, the SHA-256 of the payload, the
 * payload. Written aside and renamed, so readers never see half a file.
 * @module
 */

const MAGIC = new TextEncoder().encode("FSPYSNP1");
const HEADER_BYTES = MAGIC.length + 32;

/** SHA-256 of some bytes. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
}

/** Lower-case hex of some bytes. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads a cached file; null when absent or damaged (it is then rebuilt). */
export async function readCached(path: string): Promise<Uint8Array | null> {
  let file: Uint8Array;
  try {
    file = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  if (
    file.length <= HEADER_BYTES ||
    !MAGIC.every((byte, i) => file[i] === byte)
  ) return null;
  const payload = file.subarray(HEADER_BYTES);
  const digest = await sha256(payload);
  const stored = file.subarray(MAGIC.length, HEADER_BYTES);
  return digest.every((byte, i) => stored[i] === byte) ? payload : null;
}

/** Writes the cache file atomically (temp file, then rename). */
export async function writeCached(
  path: string,
  payload: Uint8Array,
): Promise<void> {
  const file = new Uint8Array(HEADER_BYTES + payload.length);
  file.set(MAGIC, 0);
  file.set(await sha256(payload), MAGIC.length);
  file.set(payload, HEADER_BYTES);
  // Write aside, then rename: readers and concurrent builders only ever see
  // a whole file.
  const temp = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeFile(temp, file);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Snapshot files of other keys older than this are removed after a build:
 * younger ones may belong to a server of another version starting now.
 */
export const STALE_SNAPSHOT_MS = 60 * 60 * 1000;

/**
 * Removes the snapshot files in `cacheDir` (`pyodide-<key>.snapshot`) other
 * than `keep` whose last change is older than `olderThanMs`: each upgrade
 * of Pyodide or of the runtime's sources builds a new ~30 MiB file. Returns
 * the names removed; a file that cannot be removed is left alone.
 */
export async function pruneStaleSnapshots(
  cacheDir: string,
  options: { keep: string; olderThanMs?: number; now?: number },
): Promise<string[]> {
  const olderThanMs = options.olderThanMs ?? STALE_SNAPSHOT_MS;
  const now = options.now ?? Date.now();
  const removed: string[] = [];
  for await (const entry of Deno.readDir(cacheDir)) {
    const name = entry.name;
    if (!entry.isFile || name === options.keep) continue;
    if (!/^pyodide-[0-9a-f]+\.snapshot$/.test(name)) continue;
    const path = `${cacheDir.replace(/\/?$/, "/")}${name}`;
    try {
      const changed = (await Deno.stat(path)).mtime?.getTime() ?? now;
      if (now - changed < olderThanMs) continue;
      await Deno.remove(path);
      removed.push(name);
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
  return removed;
}

/** Granularity of {@link heapRuns}: the kernel's page size. */
export const HEAP_PAGE_BYTES = 4096;

/**
 * The nonzero pages of a Pyodide snapshot's heap image, as [start, end)
 * byte pairs relative to the image (adjacent pages merged). The image
 * starts at the offset in the payload's second 32-bit word (Pyodide's
 * snapshot header).
 *
 * @throws {RangeError} when the payload has no heap image where its header says.
 */
export function heapRuns(payload: Uint8Array): Int32Array {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  const heapStart = payload.length >= 8 ? view.getUint32(4, true) : -1;
  if (heapStart < 8 || heapStart > payload.length) {
    throw new RangeError(
      `Cannot find the heap image of a snapshot as its header is damaged: current heap offset is ${heapStart} of ${payload.length} bytes`,
    );
  }
  const runs: number[] = [];
  const size = payload.length - heapStart;
  for (let page = 0; page < size; page += HEAP_PAGE_BYTES) {
    const end = Math.min(page + HEAP_PAGE_BYTES, size);
    if (isZero(payload, heapStart + page, heapStart + end)) continue;
    if (runs.length > 0 && runs[runs.length - 1] === page) {
      runs[runs.length - 1] = end;
    } else {
      runs.push(page, end);
    }
  }
  return Int32Array.from(runs);
}

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}
