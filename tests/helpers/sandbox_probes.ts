/**
 * The escape attempts of tests/hardening_sandbox_test.ts. Each probe is the
 * body of a Python function run inside the operator (with `ctx`, `js`,
 * `pyodide_js`, `obj(dict)` -> JS object, `wait(promise)` and
 * `forge(message)` in scope); the operator emits "<id> ok: <repr>" or
 * "<id> denied: <Type>: <message>".
 * @module
 */

/** The operator that runs probes (it must import with the realm locked: no eval). */
export const PROBE_SOURCE = `from fs_api import FSProcessorDriver
import js
import pyodide_js
from pyodide.ffi import to_js, run_sync

def obj(value):
    return to_js(value, dict_converter=js.Object.fromEntries)

def wait(promise):
    return run_sync(promise)

# Posts a message to the host as if the runtime had sent it.
def forge(message):
    js.postMessage(obj(message))
    return "posted"

class Probe(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        probe_id, _, body = data.decode().partition("\\n")
        scope = {"ctx": ctx, "js": js, "pyodide_js": pyodide_js, "obj": obj,
                 "wait": wait, "forge": forge}
        try:
            exec("def probe(ctx):\\n" + "\\n".join("    " + l for l in body.splitlines()), scope)
            outcome = "ok: " + repr(scope["probe"](ctx))
        except BaseException as e:
            outcome = f"denied: {type(e).__name__}: {e}"
        outcome = outcome[:2000]
        ctx.getOrCreateKVStore("probe_log").put_state(probe_id.encode(), outcome.encode())
        ctx.emit(f"{probe_id} {outcome}".encode(), 0)
`;

/** One escape attempt. */
export interface Probe {
  /** Short id, unique. */
  id: string;
  /** What it tries. */
  what: string;
  /** Python function body. */
  code: string;
  /** What its outcome must look like. */
  expect: RegExp;
  /**
   * True when the attempt ends its own worker (no outcome is emitted): it
   * runs in a function of its own, which must end FAILED.
   */
  crashes?: boolean;
}

/** What the probes need to know about the host. */
export interface ProbeContext {
  /** The server's data folder (holds the KV file). */
  dataDir: string;
  /** A host path the operator tries to create. */
  hostFile: string;
  /** A local HTTP listener that counts hits. */
  url: string;
  /** Its port. */
  httpPort: number;
  /** The Kafka broker's port. */
  kafkaPort: number;
  /** The server's main module path. */
  mainTs: string;
  /** The other function's name. */
  victim: string;
  /** A value only the server's environment holds. */
  secret: string;
}

/** Any Python exception. */
export const DENIED = /^denied: /;
/**
 * Gone from the locked realm (`js.Deno`, `js.fetch`, ... raise
 * AttributeError) or, beneath it, refused by the worker's permissions.
 */
export const NOT_CAPABLE =
  /^denied: (AttributeError: |.*(NotCapable|PermissionDenied|Requires .* access))/;
/** Refused by the realm lockdown (runtime/isolate/_lockdown.ts). */
export const LOCKED = /^denied: JsException: TypeError: Cannot (use|call) /;
/** `js.postMessage` is gone: nothing reaches the host's message channel. */
const NO_HOST_CHANNEL = /^denied: AttributeError: postMessage/;

/**
 * Signals to the server's own process (Deno lets a process signal itself
 * without the run permission). SIGWINCH is ignored by default, so a probe
 * that gets through proves the capability without stopping the server
 * (SIGKILL or SIGSTOP would end or freeze it the same way).
 */
export const SIGNAL_PROBES: Probe[] = [
  {
    id: "k1",
    what: "Deno.kill(Deno.pid)",
    code: "return js.Deno.kill(js.Deno.pid, 'SIGWINCH')",
    expect: /^denied: AttributeError: Deno/,
  },
  {
    id: "k2",
    what: "process.kill(process.pid)",
    code: "return js.process.kill(js.process.pid, 'SIGWINCH')",
    expect: /^denied: AttributeError: process/,
  },
  {
    id: "k3",
    what: "kill exported by node:process",
    code:
      "mod = wait(js.eval(\"import('node:process')\"))\nreturn mod.kill(mod.pid, 'SIGWINCH')",
    expect: LOCKED,
  },
];

/**
 * Threads of the operator's own: a nested worker would run outside the call
 * deadline and the memory cap of the operator's worker.
 */
export const WORKER_PROBES: Probe[] = [
  {
    id: "d5",
    what: "a nested Worker that runs code",
    code: `w = js.Worker.new(${
      JSON.stringify("data:text/javascript,postMessage('nested worker runs')")
    }, obj({'type': 'module'}))
got = []
w.onmessage = lambda e: got.append(e.data)
wait(js.Promise.new(lambda ok, _: js.setTimeout(ok, 1000)))
w.terminate()
return got`,
    expect: /^denied: AttributeError: Worker/,
  },
  {
    id: "d6",
    what: "a node:worker_threads Worker that runs code",
    code: `wt = wait(js.eval("import('node:worker_threads')"))
w = wt.Worker.new("require('node:worker_threads').parentPort.postMessage('thread runs')", obj({'eval': True}))
got = []
from pyodide.ffi import create_proxy
w.on('message', create_proxy(lambda m: got.append(m)))
wait(js.Promise.new(lambda ok, _: js.setTimeout(ok, 1000)))
w.terminate()
return got`,
    expect: LOCKED,
  },
];

/**
 * Ending the worker from inside without a word to the host: Deno.exit and
 * process.exit are gone from the realm (os._exit, which ends the worker
 * through Emscripten, is in {@link PROBES} and ends its function FAILED).
 */
export const EXIT_PROBES: Probe[] = [
  {
    id: "x1",
    what: "Deno.exit inside the worker",
    code: "js.Deno.exit(3)\nreturn 'still here'",
    expect: /^denied: AttributeError: Deno/,
  },
  {
    id: "x3",
    what: "process.exit inside the worker",
    code: "js.process.exit(3)\nreturn 'still here'",
    expect: /^denied: AttributeError: process/,
  },
];

/**
 * Malformed messages to the host: none can be posted, as `postMessage` is
 * gone from the realm. (The host still ends an isolate that sends one,
 * never the server: runtime/isolate/isolate.ts.)
 */
export const MALFORMED_PROBES: Probe[] = [
  {
    id: "b1",
    what: "a null message",
    code: "js.postMessage(None)\nreturn 'posted'",
    expect: NO_HOST_CHANNEL,
  },
  {
    id: "b2",
    what: "a log message whose lines are not a list",
    code: "return forge({'type': 'log', 'lines': 5})",
    expect: NO_HOST_CHANNEL,
  },
  {
    id: "b3",
    what: "a log line that is null",
    code: "return forge({'type': 'log', 'lines': [None], 'dropped': 0})",
    expect: NO_HOST_CHANNEL,
  },
  {
    id: "b4",
    what: "a failed message without an error",
    code:
      "return forge({'type': 'failed', 'id': 424243, 'error': None, 'heapBytes': 0})",
    expect: NO_HOST_CHANNEL,
  },
];

/** All probes, in the order they are sent. */
export function PROBES(c: ProbeContext): Probe[] {
  const q = JSON.stringify;
  const kv = `${c.dataDir}/function_stream.kv`;
  const victimKey = `b"count:victim"`;
  return [
    // Host files.
    {
      id: "f1",
      what: "open /etc/passwd",
      code: "return open('/etc/passwd').read()",
      expect: /^denied: FileNotFoundError/,
    },
    {
      id: "f2",
      what: "open the server's KV file",
      code: `return open(${q(kv)}, 'rb').read(16)`,
      expect: /^denied: FileNotFoundError/,
    },
    {
      id: "f3",
      what: "Deno.readFileSync the KV file",
      code: `return js.Deno.readFileSync(${q(kv)}).length`,
      expect: NOT_CAPABLE,
    },
    {
      id: "f4",
      what: "Deno.readTextFileSync main.ts",
      code: `return js.Deno.readTextFileSync(${q(c.mainTs)})[:50]`,
      expect: NOT_CAPABLE,
    },
    {
      id: "f5",
      what: "Deno.readDirSync /",
      code: "return [e.name for e in js.Deno.readDirSync('/')]",
      expect: NOT_CAPABLE,
    },
    {
      id: "f6",
      what: "Deno.statSync the data folder",
      code: `return js.Deno.statSync(${q(c.dataDir)}).isDirectory`,
      expect: NOT_CAPABLE,
    },
    {
      id: "f7",
      what: "Python open(..., 'w') on a host path stays in memory",
      code: `import os\nos.makedirs(os.path.dirname(${
        q(c.hostFile)
      }), exist_ok=True)\nopen(${q(c.hostFile)}, 'w').write('x')\nreturn 1`,
      expect: /^ok: 1$/,
    },
    {
      id: "f8",
      what: "Deno.writeTextFileSync a host path",
      code: `return js.Deno.writeTextFileSync(${q(c.hostFile)}, 'x')`,
      expect: NOT_CAPABLE,
    },
    {
      id: "f9",
      what: "Deno.removeSync the KV file",
      code: `return js.Deno.removeSync(${q(kv)})`,
      expect: NOT_CAPABLE,
    },
    {
      id: "f10",
      what: "Deno.openKv the server's KV",
      code: `return wait(js.Deno.openKv(${q(kv)}))`,
      expect: NOT_CAPABLE,
    },
    // Network.
    {
      id: "n1",
      what: "fetch through js",
      code: `return wait(js.fetch(${q(c.url)})).status`,
      expect: NOT_CAPABLE,
    },
    {
      id: "n2",
      what: "pyodide.http.pyfetch",
      code: `from pyodide.http import pyfetch\nreturn wait(pyfetch(${
        q(c.url)
      })).status`,
      // pyodide.http binds js.fetch at import, which the realm lacks.
      expect: /^denied: (NameError: name '_jsfetch'|.*NotCapable)/,
    },
    {
      id: "n3",
      what: "Deno.connect to the Kafka broker",
      code:
        `return wait(js.Deno.connect(obj({'hostname': '127.0.0.1', 'port': ${c.kafkaPort}}))).remoteAddr`,
      expect: NOT_CAPABLE,
    },
    {
      id: "n4",
      what: "Python socket",
      code:
        `import socket\nreturn socket.create_connection(('127.0.0.1', ${c.httpPort}), timeout=1)`,
      expect: DENIED,
    },
    {
      id: "n5",
      what: "urllib",
      code: `import urllib.request\nreturn urllib.request.urlopen(${
        q(c.url)
      }, timeout=1).status`,
      expect: DENIED,
    },
    {
      id: "n6",
      what: "WebSocket",
      code: `ws = js.WebSocket.new(${
        q(c.url.replace("http", "ws"))
      })\nwait(js.Promise.new(lambda ok, _: js.setTimeout(ok, 300)))\nreturn ws.readyState`,
      expect: NOT_CAPABLE,
    },
    {
      id: "n7",
      what: "Deno.listen",
      code: "return js.Deno.listen(obj({'port': 0})).addr.port",
      expect: NOT_CAPABLE,
    },
    {
      id: "n8",
      what: "Deno.resolveDns",
      code: "return wait(js.Deno.resolveDns('localhost', 'A'))",
      expect: NOT_CAPABLE,
    },
    // Environment.
    {
      id: "e1",
      what: "Deno.env.get",
      code: "return js.Deno.env.get('FS_SANDBOX_SECRET')",
      expect: NOT_CAPABLE,
    },
    {
      id: "e2",
      what: "Deno.env.toObject",
      code: "return js.Deno.env.toObject()",
      expect: NOT_CAPABLE,
    },
    {
      id: "e3",
      what: "os.environ holds no host variable",
      code: `import os\nreturn ${
        q(c.secret)
      } in str(dict(os.environ)) or os.environ.get('FS_SANDBOX_SECRET')`,
      expect: /^ok: (False|None)$/,
    },
    {
      id: "e4",
      what: "Deno.hostname",
      code: "return js.Deno.hostname()",
      expect: NOT_CAPABLE,
    },
    {
      id: "e5",
      what: "Deno.systemMemoryInfo",
      code: "return js.Deno.systemMemoryInfo().total",
      expect: NOT_CAPABLE,
    },
    // Processes.
    {
      id: "p1",
      what: "Deno.Command",
      code: "return js.Deno.Command.new('true').outputSync().code",
      expect: NOT_CAPABLE,
    },
    {
      id: "p2",
      what: "subprocess.run",
      code: "import subprocess\nreturn subprocess.run(['true']).returncode",
      expect: DENIED,
    },
    {
      id: "p3",
      what: "os.system (Pyodide spawns through node:child_process)",
      code: `import os\nreturn os.system('touch ${c.hostFile}')`,
      expect: DENIED,
      crashes: true,
    },
    {
      id: "p5",
      what: "Deno.dlopen libc",
      code: "return js.Deno.dlopen('libc.so.6', obj({}))",
      expect: NOT_CAPABLE,
    },
    // The Deno namespace and JavaScript.
    {
      id: "d1",
      what: "eval JavaScript that reads a file",
      code: "return js.eval(\"Deno.readTextFileSync('/etc/hostname')\")",
      expect: LOCKED,
    },
    {
      id: "d2",
      what: "permissions.requestSync read",
      code:
        "state = js.Deno.permissions.requestSync(obj({'name': 'read'})).state\nif state == 'granted': return 'GRANTED'\nraise PermissionError(state)",
      expect: DENIED,
    },
    {
      id: "d3",
      what: "permissions.querySync env",
      code:
        "state = js.Deno.permissions.querySync(obj({'name': 'env'})).state\nif state == 'granted': return 'GRANTED'\nraise PermissionError(state)",
      expect: DENIED,
    },
    {
      id: "d4",
      what: "dynamic import of a remote module",
      code: `return wait(js.eval("import(${q(c.url + "m.js")})"))`,
      expect: DENIED,
    },
    // Another function's state.
    {
      id: "s1",
      what: "the victim's store and key, by name",
      code: `return ctx.getOrCreateKVStore('stats_db').get_state(${victimKey})`,
      expect: /^ok: None$/,
    },
    {
      id: "s2",
      what: "list everything in a store of the victim's name",
      code:
        "return ctx.getOrCreateKVStore('stats_db').list_states(b'', b'\\xff' * 32)",
      expect: /^ok: \[\]$/,
    },
    {
      id: "s3",
      what: "crafted store names",
      code:
        `names = ['../${c.victim}', '${c.victim}', '${c.victim}/stats_db', '../../st/${c.victim}/v/stats_db', 'st', 'v', '\\x00', '${c.victim}\\x00stats_db', 'stats_db\\x00']\nreturn [(ctx.getOrCreateKVStore(n).get_state(${victimKey}), ctx.getOrCreateKVStore(n).list_states(b'', b'\\xff' * 8)) for n in names]`,
      expect: /^ok: \[(\(None, \[\]\)(, )?)+\]$/,
    },
    {
      id: "s4",
      what: "complex keys shaped like the victim's",
      code:
        `from fs_api.store import ComplexKey\ns = ctx.getOrCreateKVStore('stats_db')\nreturn [s.list_complex(${
          q(c.victim)
        }.encode(), b'stats_db', b'', b'', b'\\xff' * 8), s.get(ComplexKey(b'${c.victim}', b'v', b'stats_db', ${victimKey}))]`,
      expect: /^ok: \[\[\], None\]$/,
    },
    {
      id: "s5",
      what: "overwrite a key of the victim's name (only its own copy changes)",
      code:
        `ctx.getOrCreateKVStore('stats_db').put_state(${victimKey}, b'1000000')\nreturn 'written'`,
      expect: /^ok: 'written'$/,
    },
    // The host's message channel is gone from the realm (beneath that, the
    // host scopes a state request to the operator's own function and ends
    // its isolate on a malformed message).
    {
      id: "s6",
      what: "forged state get for the victim's key",
      code: `return forge({'type': 'state', 'id': 987001, 'functionName': ${
        q(c.victim)
      }, 'request': {'op': 'get', 'fn': ${
        q(c.victim)
      }, 'store': 'stats_db', 'key': {'kind': 'simple', 'key': ${victimKey}}}})`,
      expect: NO_HOST_CHANNEL,
    },
    {
      id: "s7",
      what: "forged state list of the victim's store",
      code:
        `return forge({'type': 'state', 'id': 987002, 'request': {'op': 'listSimple', 'store': 'stats_db', 'range': {}, 'limit': 1000, 'withValues': True, 'fn': ${
          q(c.victim)
        }}})`,
      expect: NO_HOST_CHANNEL,
    },
    // Forged messages to the host.
    {
      id: "m1",
      what: "forged log line",
      code:
        "return forge({'type': 'log', 'lines': [{'stream': 'stdout', 'text': 'forged line'}], 'dropped': 0})",
      expect: NO_HOST_CHANNEL,
    },
    {
      id: "m2",
      what: "forged done for an unknown call",
      code:
        "return forge({'type': 'done', 'id': 424242, 'result': None, 'heapBytes': 0})",
      expect: NO_HOST_CHANNEL,
    },
    {
      id: "m5",
      what: "forged state request without a request",
      code: "return forge({'type': 'state', 'id': 987003})",
      expect: NO_HOST_CHANNEL,
    },
    {
      id: "zz",
      what: "forged fatal message",
      code: "return forge({'type': 'fatal', 'message': 'forged fatal'})",
      expect: NO_HOST_CHANNEL,
    },
    {
      id: "x2",
      what: "os._exit",
      code: "import os\nos._exit(3)",
      expect: /./,
      crashes: true,
    },
  ];
}
