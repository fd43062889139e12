/**
 * Test worker of _worker_load_test.ts: loads Pyodide from the snapshot with
 * the given LoadConfig and answers with what Python computes, or the error.
 * @module
 */
/// <reference lib="deno.worker" />
import { load } from "./_worker_load.ts";

self.onmessage = async (event) => {
  try {
    const py = await load(event.data.load, { bytes: event.data.snapshot }, {
      stdout: () => {},
      stderr: () => {},
    });
    // A JS exception must still reach Python as one (the marker imports).
    const caught = py.runPython(
      "import js\ntry:\n    js.JSON.parse('{')\nexcept Exception as e:\n    r = type(e).__name__\nr",
    );
    self.postMessage({ ok: `${py.runPython("6 * 7")} ${caught}` });
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
