/**
 * gRPC hardening through the real server and the real Python client: TLS
 * with a certificate made by openssl at run time, bearer tokens from the
 * environment or the flag (401 as a normal reply, so fs_client raises
 * AuthenticationError), the message size flag, and flag mistakes.
 */
import assert from "node:assert/strict";
import { runPython } from "./helpers/server.ts";
import {
  makeCertificate,
  RpcClient,
  serverRefuses,
  spawnServer,
} from "./helpers/hardening.ts";

const TOKEN = "tls-test-token-7f3a9c0e5b1d2468";

/** Runs Python `body` (with fs_client imported) and returns what it printed as JSON. */
async function python(body: string): Promise<Record<string, string>> {
  const dir = await Deno.makeTempDir({ prefix: "fs-hardening-py-" });
  try {
    const script = `${dir}/probe.py`;
    await Deno.writeTextFile(
      script,
      `import json
from fs_client import FsClient
from fs_client.exceptions import AuthenticationError

results = {}
def attempt(label, fn):
    try:
        results[label] = "ok: " + repr(fn())
    except Exception as e:
        results[label] = f"{type(e).__name__}: {e}"

${body}
print(json.dumps(results))
`,
    );
    const run = await runPython(script);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "with --tls-cert/--tls-key and FS_AUTH_TOKEN, fs_client needs the CA and the token; others get AuthenticationError or NetworkError",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const cert = await makeCertificate();
    const other = await makeCertificate();
    const dataDir = await Deno.makeTempDir({ prefix: "fs-hardening-grpc-" });
    const server = await spawnServer({
      dataDir,
      args: ["--tls-cert", cert.certFile, "--tls-key", cert.keyFile],
      env: { FS_AUTH_TOKEN: TOKEN },
    });
    try {
      const results = await python(`
ca = open(${JSON.stringify(cert.certFile)}, "rb").read()
wrong_ca = open(${JSON.stringify(other.certFile)}, "rb").read()
def client(**kw):
    kw.setdefault("default_timeout", 10)
    return FsClient(host="127.0.0.1", port=${server.port}, **kw)
good = client(secure=True, root_certificates=ca, token=${JSON.stringify(TOKEN)})
attempt("good_show", lambda: good.show_functions().status_code)
attempt("good_sql", lambda: good.execute_sql("SHOW FUNCTIONS"))
anon = client(secure=True, root_certificates=ca)
attempt("anon_show", lambda: anon.show_functions())
attempt("anon_start", lambda: anon.start_function("x"))
attempt("anon_stop", lambda: anon.stop_function("x"))
attempt("anon_drop", lambda: anon.drop_function("x"))
attempt("anon_sql", lambda: anon.execute_sql("SHOW FUNCTIONS"))
attempt("anon_create", lambda: anon.create_python_function("P", [("m", b"x = 1\\n")], "name: sneaky"))
wrong = client(secure=True, root_certificates=ca, token=${
        JSON.stringify(TOKEN.slice(0, -1) + "X")
      })
attempt("wrong_show", lambda: wrong.show_functions())
attempt("wrong_create", lambda: wrong.create_python_function("P", [("m", b"x = 1\\n")], "name: sneaky"))
attempt("plaintext", lambda: client(token=${
        JSON.stringify(TOKEN)
      }, default_timeout=5).show_functions())
attempt("untrusted_ca", lambda: client(secure=True, root_certificates=wrong_ca, token=${
        JSON.stringify(TOKEN)
      }, default_timeout=5).show_functions())
`);
      assert.equal(results.good_show, "ok: 200");
      assert.match(results.good_sql, /^ok: /);
      for (
        const label of [
          "anon_show",
          "anon_start",
          "anon_stop",
          "anon_drop",
          "anon_sql",
          "anon_create",
        ]
      ) {
        assert.match(
          results[label],
          /^AuthenticationError: .*carries no 'authorization' metadata/,
          label,
        );
      }
      assert.match(
        results.wrong_show,
        /^AuthenticationError: .*bearer token is wrong/,
      );
      assert.match(
        results.wrong_create,
        /^AuthenticationError: .*bearer token is wrong/,
      );
      assert.match(results.plaintext, /^NetworkError: /);
      assert.match(results.untrusted_ca, /^NetworkError: /);
      assert.ok(!server.output().includes(TOKEN), "the token was logged");

      // Nothing was created by the rejected calls.
      const client = new RpcClient(server.port, {
        caPem: cert.pem,
        token: TOKEN,
      });
      try {
        assert.deepEqual(await client.list(), []);
      } finally {
        client.close();
      }
    } finally {
      assert.equal(await server.stop(), 0, server.output());
      await Deno.remove(dataDir, { recursive: true });
      await Deno.remove(cert.dir, { recursive: true });
      await Deno.remove(other.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "--auth-token wins over FS_AUTH_TOKEN, and --max-message-mb refuses bigger requests with RESOURCE_EXHAUSTED",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "fs-hardening-grpc-" });
    const flagToken = "flag-token-0123456789abcdef";
    const server = await spawnServer({
      dataDir,
      args: ["--auth-token", flagToken, "--max-message-mb", "1"],
      env: { FS_AUTH_TOKEN: TOKEN },
    });
    try {
      const results = await python(`
def client(token):
    return FsClient(host="127.0.0.1", port=${server.port}, default_timeout=10, token=token)
attempt("flag", lambda: client(${
        JSON.stringify(flagToken)
      }).show_functions().status_code)
attempt("env", lambda: client(${JSON.stringify(TOKEN)}).show_functions())
big = b"# " + b"x" * (1024 * 1024 + 10) + b"\\n"
attempt("oversize", lambda: client(${
        JSON.stringify(flagToken)
      }).create_python_function("P", [("m", big)], "name: big"))
attempt("after", lambda: client(${
        JSON.stringify(flagToken)
      }).show_functions().status_code)
`);
      assert.equal(results.flag, "ok: 200");
      assert.match(results.env, /^AuthenticationError: /);
      assert.match(results.oversize, /RESOURCE_EXHAUSTED/);
      assert.equal(results.after, "ok: 200");
    } finally {
      assert.equal(await server.stop(), 0, server.output());
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test("the server refuses to start on half-given TLS flags, bad sizes, weak tokens and unreadable certificates", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "fs-hardening-flags-" });
  try {
    const cases: [string[], RegExp][] = [
      [
        ["--tls-cert", "/nonexistent/cert.pem"],
        /--tls-cert is set without --tls-key/,
      ],
      [
        ["--tls-key", "/nonexistent/key.pem"],
        /--tls-key is set without --tls-cert/,
      ],
      [
        ["--max-message-mb", "0"],
        /--max-message-mb as it is not a whole number from 1 to 2047/,
      ],
      [["--max-message-mb", "4096"], /--max-message-mb/],
      [["--auth-token", "short"], /shorter than 16 characters/],
      [
        [
          "--tls-cert",
          "/nonexistent/cert.pem",
          "--tls-key",
          "/nonexistent/key.pem",
        ],
        /Cannot read the TLS certificate as the file cannot be read/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const { code, output } = await serverRefuses([
        "--data-dir",
        dataDir,
        ...args,
      ]);
      assert.equal(code, 1, output);
      assert.match(output, pattern);
      assert.doesNotMatch(output, /listening on/);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
