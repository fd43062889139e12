/**
 * Test worker of _worker_load_test.ts: loads Pyodide from the snapshot with
 * the given LoadConfig and answers with what Python computes, or the error.
 * With `release: true` it answers whether the snapshot's bytes were freed
 * once loading was done (and the realm lockdown's deletion of Pyodide's
 * `_loadSnapshot` reference made).
 * @module
 */
/// <reference lib="deno.worker" />
import { load, takeCollector } from "./_worker_load.ts";

const collect = takeCollector();
/** Kept alive, as a worker keeps its Pyodide. */
const loaded: unknown[] = [];

/** Answers, a task later (the message event holds the bytes until then), whether they were freed. */
function reportRelease(bytes: WeakRef<ArrayBufferLike>): void {
  setTimeout(() => {
    collect();
    self.postMessage({ released: bytes.deref() === undefined });
  }, 0);
}

self.onmessage = async (event) => {
  const release = event.data.release === true;
  try {
    const snapshot: Uint8Array = event.data.snapshot;
    const bytes = new WeakRef(snapshot.buffer);
    const py = await load(event.data.load, { bytes: snapshot }, {
      stdout: () => {},
      stderr: () => {},
    });
    loaded.push(py);
    if (release) {
      const config = (py as unknown as { _api: { config: object } })._api
        .config;
      Reflect.deleteProperty(config, "_loadSnapshot");
      reportRelease(bytes);
      return;
    }
    // A JS exception must still reach Python as one (the marker imports).
    const caught = py.runPython(
      "import js\ntry:\n    js.JSON.parse('{')\nexcept Exception as e:\n    r = type(e).__name__\nr",
    );
    self.postMessage({ ok: `${py.runPython("6 * 7")} ${caught}` });
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
