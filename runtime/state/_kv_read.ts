/**
 * The read side of the Deno KV backend: decoding stored values (inline or
 * chunked) and listing a key range page by page.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { StateEntry } from "../core/mod.ts";
import { chunkPrefix, compareBytes } from "./key_codec.ts";
import { isChunkHeader, readChunks } from "./_chunks.ts";
import type { ResolvedList } from "./_validate.ts";

/**
 * Turns a stored live value into bytes: inline bytes as they are, a chunk
 * header by joining its chunks. Missing or damaged chunks are an error,
 * never a wrong value.
 */
export async function decodeValue(
  kv: Deno.Kv,
  fn: string,
  value: unknown,
): Promise<Uint8Array | null> {
  if (value === null || value instanceof Uint8Array) return value;
  if (isChunkHeader(value)) {
    const bytes = await readChunks(kv, chunkPrefix(fn, value.id), value);
    if (bytes) return bytes;
    throw new FsError(
      "INTERNAL",
      `Cannot read a value of function "${fn}" as its chunks are missing or damaged: ` +
        `current value is ${value.count} chunks of ${value.size} bytes expected`,
    );
  }
  throw new FsError(
    "INTERNAL",
    `Cannot read a value of function "${fn}" as it is not bytes: current value is ${typeof value}`,
  );
}

/** Lists the entries under `prefix` whose last key part lies in the resolved range. */
export async function listEntries(
  kv: Deno.Kv,
  fn: string,
  page: { prefix: Deno.KvKey; spec: ResolvedList },
): Promise<StateEntry[]> {
  const { prefix, spec } = page;
  const start = spec.lower && [...prefix, spec.lower];
  const end = spec.end && [...prefix, spec.end];
  const selector: Deno.KvListSelector = start && end
    ? { start, end }
    : start
    ? { prefix, start }
    : end
    ? { prefix, end }
    : { prefix };
  // `after` is exclusive: fetch from it inclusively and skip it.
  const limit = spec.limit + (spec.lowerExclusive ? 1 : 0);
  const iter = kv.list<unknown>(selector, {
    limit,
    batchSize: Math.min(limit, 500),
  });
  const out: StateEntry[] = [];
  for await (const entry of iter) {
    const key = entry.key[entry.key.length - 1] as Uint8Array;
    if (spec.lowerExclusive && compareBytes(key, spec.lower!) === 0) continue;
    if (out.length === spec.limit) break;
    out.push({ key, value: (await decodeValue(kv, fn, entry.value))! });
  }
  return out;
}
