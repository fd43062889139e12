/**
 * Attempts on the worker's JavaScript realm itself (run with
 * sandbox_probes.ts's PROBE_SOURCE): JS source from strings by every route,
 * WebAssembly, the shared snapshot, the host's stdout and message listener,
 * and the memory cap's own getters. Each one succeeds when the lockdown of
 * runtime/isolate/_lockdown.ts is taken out.
 * @module
 */
import { LOCKED, NOT_CAPABLE, type Probe } from "./sandbox_probes.ts";

/** A WebAssembly module that defines a memory of one page. */
const MEMORY_MODULE = "[0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1]";
/** A module that imports `e.f` and calls it from an exported `run`. */
const IMPORTING_MODULE =
  "[0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 7, 1, 1, 101, 1, 102, 0, 0, 3, 2, 1, 0, 7, 7, 1, 3, 114, 117, 110, 0, 1, 10, 6, 1, 4, 0, 16, 0, 11]";

/** Probes that answer with an outcome; all must be refused. */
export function REALM_PROBES(marker: string): Probe[] {
  return [
    {
      id: "r1",
      what: "js.eval",
      code: "return js.eval('1 + 1')",
      expect: LOCKED,
    },
    {
      id: "r2",
      what: "eval through js.globalThis",
      code: "return js.globalThis.eval('1 + 1')",
      expect: LOCKED,
    },
    {
      id: "r3",
      what: "pyodide.code.run_js",
      code: "from pyodide.code import run_js\nreturn run_js('1 + 1')",
      expect: LOCKED,
    },
    {
      id: "r4",
      what: "the Function global",
      code: "return js.Function.new('return 7')()",
      expect: LOCKED,
    },
    {
      id: "r5",
      what: "Function through the constructor of any function",
      code:
        "F = js.Object.getPrototypeOf(js.Array).constructor\nreturn F.new('return 7')()",
      expect: LOCKED,
    },
    {
      id: "r6",
      what: "AsyncFunction through the prototype of a Pyodide async function",
      code:
        "AF = js.Object.getPrototypeOf(pyodide_js.loadPackage).constructor\nreturn wait(AF.new('return 7')())",
      expect: LOCKED,
    },
    {
      id: "r7",
      what: "Reflect.construct of the Function constructor",
      code:
        "return js.Reflect.construct(js.Array.constructor, js.Array.of('return 7'))()",
      expect: LOCKED,
    },
    {
      id: "r8",
      what: "setTimeout with a string (Deno evaluates it)",
      code: "js.setTimeout('globalThis.fsPwned = 1', 0)\nreturn 'scheduled'",
      expect: LOCKED,
    },
    {
      id: "r9",
      what: "setInterval with a string",
      code:
        "js.setInterval('globalThis.fsPwned = 1', 1000)\nreturn 'scheduled'",
      expect: LOCKED,
    },
    {
      id: "r10",
      what: "queueMicrotask with a function made from source",
      code:
        "return js.queueMicrotask(js.Function.new('globalThis.fsPwned = 1'))",
      expect: LOCKED,
    },
    {
      id: "r11",
      what: "dynamic import of a data: module",
      code:
        "return wait(js.eval(\"import('data:text/javascript,export default 7')\")).default",
      expect: LOCKED,
    },
    {
      id: "r12",
      what: "compile a WebAssembly module with a memory of its own",
      code:
        `return str(js.WebAssembly.Module.new(js.Uint8Array.new(${MEMORY_MODULE})))`,
      expect: LOCKED,
    },
    {
      id: "r13",
      what: "instantiate a WebAssembly module with imports",
      code: `bytes = js.Uint8Array.new(${IMPORTING_MODULE})
got = wait(js.WebAssembly.instantiate(bytes, obj({'e': {'f': js.Date.now}})))
return got.instance.exports.run()`,
      expect: LOCKED,
    },
    {
      id: "r14",
      what: "WebAssembly.Module through a prototype's constructor",
      code:
        `return str(js.WebAssembly.Module.prototype.constructor.new(js.Uint8Array.new(${MEMORY_MODULE})))`,
      expect: LOCKED,
    },
    {
      id: "r15",
      what: "a new WebAssembly.Memory (memory outside the cap)",
      code:
        "return js.WebAssembly.Memory.new(obj({'initial': 1})).buffer.byteLength",
      expect: LOCKED,
    },
    {
      id: "r16",
      what: "grow Pyodide's function table by millions of entries",
      code: "return pyodide_js._module.wasmTable.grow(5000000)",
      expect: LOCKED,
    },
    {
      id: "r17",
      what: "Error.prepareStackTrace (stack frames with their functions)",
      code:
        "from pyodide.ffi import create_proxy\njs.Error.prepareStackTrace = create_proxy(lambda e, frames: 'frames')\nreturn js.Error.new('x').stack",
      expect:
        /^denied: JsException: TypeError: Cannot assign to read only property 'prepareStackTrace'/,
    },
    {
      id: "r18",
      what: "the shared snapshot every isolate starts from",
      code: "return str(pyodide_js._api.config._loadSnapshot.buffer)",
      expect: /^denied: AttributeError: _loadSnapshot/,
    },
    {
      id: "r19",
      what: "crypto.subtle (runs on the thread pool, past the deadline)",
      code: "return str(js.crypto.subtle)",
      expect: /^denied: AttributeError: subtle/,
    },
    {
      id: "r20",
      what: "navigator and location (the server's paths)",
      code: "return [js.navigator.userAgent, js.location.href]",
      expect: NOT_CAPABLE,
    },
    {
      id: "r21",
      what: "a forged message event for the runtime's own listener",
      code:
        "return js.dispatchEvent(js.MessageEvent.new('message', obj({'data': {'type': 'stateReply', 'id': 999999}})))",
      expect: LOCKED,
    },
    {
      id: "r22",
      what: "the same through EventTarget.prototype",
      code:
        "ev = js.MessageEvent.new('message', obj({'data': {'type': 'stateReply', 'id': 999999}}))\nreturn js.EventTarget.prototype.dispatchEvent.call(js.globalThis, ev)",
      expect: LOCKED,
    },
    {
      id: "r23",
      what: "console.log straight to the server's stdout",
      code: `js.console.log(${JSON.stringify(marker)})\nreturn 'logged'`,
      // The line must reach the log tagged (checked by the test).
      expect: /^ok: 'logged'$/,
    },
    {
      id: "r24",
      what: "lift the memory cap with a buffer getter that lies to it",
      // Emscripten reads the buffer, then the cap does: a getter answering
      // the real buffer, then an empty one, made the cap see no memory.
      // Grown first with the real getter, so that with the cap intact no
      // growth succeeds under the fake one (Pyodide would then read it).
      code: `warm = bytearray(200 * 1024 * 1024)
del warm
proto = js.WebAssembly.Memory.prototype
real = js.Object.getOwnPropertyDescriptor(proto, 'buffer')
answers = js.Array.of(*([pyodide_js._module.HEAPU8.buffer, js.ArrayBuffer.new(0)] * 50))
js.Object.defineProperty(proto, 'buffer', obj({'get': answers.shift.bind(answers), 'configurable': True}))
try:
    chunks = [bytearray(150 * 1024 * 1024) for _ in range(3)]
    return sum(len(c) for c in chunks)
finally:
    js.Object.defineProperty(proto, 'buffer', real)`,
      expect: /^denied: MemoryError/,
    },
  ];
}

/**
 * Probes whose only way to be refused ends the operator's own worker: C
 * code cannot receive a JS exception (Pyodide reports a fatal error).
 */
export const REALM_CRASH_PROBES: Probe[] = [
  {
    id: "rc1",
    what: "emscripten_run_script through ctypes (evaluates with eval)",
    code:
      "import ctypes\nreturn ctypes.CDLL(None).emscripten_run_script_int(b'41 + 1')",
    expect: /./,
    crashes: true,
  },
];
