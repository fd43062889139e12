/**
 * Process figures from Linux /proc: resident memory and CPU time.
 * @module
 */

/** Resident set size of process `pid` ("self" for this one) in bytes, from VmRSS. */
export function rssBytes(pid: number | "self"): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = status.match(/^VmRSS:\s+(\d+)\s+kB$/m);
  if (!match) {
    throw new Error(
      `Cannot read the resident memory of process ${pid} as /proc/${pid}/status has no VmRSS line: current length is ${status.length}`,
    );
  }
  return Number(match[1]) * 1024;
}

/**
 * Proportional set size of process `pid` in bytes: its resident pages with
 * each shared page split among the processes sharing it, so that a server
 * and its isolate processes add up without counting the executable twice.
 */
export function pssBytes(pid: number | "self"): number {
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const match = rollup.match(/^Pss:\s+(\d+) kB$/m);
  if (!match) {
    throw new Error(
      `Cannot read the proportional memory of process ${pid} as /proc/${pid}/smaps_rollup has no Pss line: current length is ${rollup.length}`,
    );
  }
  return Number(match[1]) * 1024;
}

/** CPU seconds (user + system) process `pid` used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start at ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * Finds the pid of the process whose command line contains every string
 * in `parts` (e.g. the server's unique data folder), or null.
 */
export function findPid(parts: string[]): number | null {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let cmdline: string;
    try {
      cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
    } catch {
      continue; // exited meanwhile
    }
    const args = cmdline.split("\0");
    if (parts.every((part) => args.includes(part))) return Number(entry.name);
  }
  return null;
}

/** MemAvailable of the machine in bytes, from /proc/meminfo. */
export function memAvailableBytes(): number {
  const info = Deno.readTextFileSync("/proc/meminfo");
  const match = info.match(/^MemAvailable:\s+(\d+)\s+kB$/m);
  if (!match) {
    throw new Error(
      `Cannot read the available memory as /proc/meminfo has no MemAvailable line: current length is ${info.length}`,
    );
  }
  return Number(match[1]) * 1024;
}
