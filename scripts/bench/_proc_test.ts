import assert from "node:assert/strict";
import { cpuSeconds, findPid, memAvailableBytes, rssBytes } from "./_proc.ts";

Deno.test("rssBytes() grows when this process touches more memory", () => {
  const before = rssBytes("self");
  const block = new Uint8Array(64 * 1024 * 1024).fill(1);
  const after = rssBytes("self");
  assert.ok(block[block.length - 1] === 1);
  assert.ok(after - before > 32 * 1024 * 1024, `${before} -> ${after}`);
  assert.ok(memAvailableBytes() > 0);
});

Deno.test("cpuSeconds() counts busy time", () => {
  const before = cpuSeconds("self");
  const end = performance.now() + 300;
  let x = 0;
  while (performance.now() < end) x++;
  assert.ok(x > 0);
  assert.ok(cpuSeconds("self") - before >= 0.1);
});

Deno.test("findPid() finds a child by its command line, and null for none", async () => {
  const token = `fs-bench-probe-${crypto.randomUUID()}`;
  const child = new Deno.Command("bash", {
    args: ["-c", "sleep 30; true", token],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // The child's command line is set once bash has been exec'd.
    let found = findPid([token]);
    for (let i = 0; i < 50 && found === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
      found = findPid([token]);
    }
    assert.equal(found, child.pid);
    assert.equal(findPid([`${token}-absent`]), null);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
});
