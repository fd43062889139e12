/**
 * Seeded random inputs for tests/hardening_fuzz_test.ts: strings, SQL, task
 * config YAML (mutations of a valid one), module lists and raw protobuf.
 * Everything derives from one seed, so a failure replays with FS_FUZZ_SEED.
 * @module
 */
import { parse, stringify } from "yaml";

/** A small, fast, seeded PRNG (mulberry32). */
export class Rng {
  #state: number;

  /** Starts the sequence at `seed`. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

const SPECIALS = [
  "é",
  "ü",
  "中",
  "😀",
  "\u202e",
  "\u0301",
  "\ufeff",
  "\u0000",
  "\u0007",
  "\r\n",
  "\\",
  "'",
  '"',
  "%",
  "_",
  "*",
  "?",
  "[",
  "]",
  "{",
  "}",
  "$",
  "`",
  ";",
  "--",
  "/*",
  "*/",
  "\n",
  "\t",
  " ",
  ":",
  "&a",
  "*a",
  "!!",
  "#",
  "|",
  ">",
  "-",
  ".",
  "/",
  "..",
];

const NASTY = [
  "../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "/etc/shadow",
  "~root",
  "file:///etc/passwd",
  "%s%s%n",
  "${jndi:ldap://127.0.0.1/x}",
  "{{7*7}}",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "-1",
  "1e309",
  "NaN",
  "null",
  "undefined",
  "*?*?*?*?*c",
  "[z-a]",
  "[",
  "[]",
  "[!]",
  "*".repeat(50),
  "' OR '1'='1",
  "\u0000\u0000",
  "con",
  "nul",
  "a".repeat(129),
];

/** A random string from a mix of printable, special, nasty and huge ones. */
export function randomString(rng: Rng): string {
  switch (rng.int(7)) {
    case 0:
      return rng.pick(["", " ", "   \t\n", "\u00a0"]);
    case 1: {
      let s = "";
      const n = 1 + rng.int(40);
      for (let i = 0; i < n; i++) s += String.fromCharCode(32 + rng.int(95));
      return s;
    }
    case 2: {
      let s = "";
      const n = 1 + rng.int(12);
      for (let i = 0; i < n; i++) {
        s += rng.chance(0.5) ? rng.pick(SPECIALS) : "ab-c_9"[rng.int(6)];
      }
      return s;
    }
    case 3:
      return rng.pick(NASTY);
    case 4:
      return "x".repeat(rng.chance(0.9) ? 1_000 + rng.int(50_000) : 1_000_000);
    case 5: {
      // Lone surrogates become U+FFFD on the wire; the server must not care.
      return `n${String.fromCharCode(0xd800 + rng.int(0x800))}${rng.int(99)}`;
    }
    default:
      return `fz-${rng.int(1000)}`;
  }
}

/** Applies 1-4 random character edits to `text`. */
export function mutateText(rng: Rng, text: string): string {
  let s = text;
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(s.length + 1);
    switch (rng.int(6)) {
      case 0: // replace one character
        s = s.slice(0, at) + String.fromCharCode(rng.int(0x3000)) +
          s.slice(at + 1);
        break;
      case 1: // insert a special token
        s = s.slice(0, at) + rng.pick(SPECIALS) + s.slice(at);
        break;
      case 2: // delete a span
        s = s.slice(0, at) + s.slice(at + 1 + rng.int(20));
        break;
      case 3: { // duplicate a span
        const span = s.slice(at, at + 1 + rng.int(40));
        s = s.slice(0, at) + span + span + s.slice(at);
        break;
      }
      case 4: // truncate
        s = s.slice(0, at);
        break;
      default: // swap case
        s = s.slice(0, at) + s.slice(at, at + 8).toUpperCase() +
          s.slice(at + 8);
    }
  }
  return s;
}

const SQL_VERBS = ["START", "STOP", "DROP", "SHOW", "start", "Drop", "sHoW"];

/** A random, templated or mutated ExecuteSql statement. */
export function randomSql(rng: Rng, name: () => string): string {
  switch (rng.int(5)) {
    case 0:
      return randomString(rng);
    case 1:
      return "SHOW FUNCTIONS LIKE '" + randomString(rng).replaceAll("'", "''") +
        "'";
    case 2:
      return `${"SHOW FUNCTIONS ".repeat(2000)}`;
    default: {
      const verb = rng.pick(SQL_VERBS);
      const noun = verb.toUpperCase() === "SHOW" ? "FUNCTIONS" : "FUNCTION";
      const quoted = rng.chance(0.3) ? `'${name()}'` : name();
      const tail = rng.pick([
        "",
        ";",
        ";;",
        " -- c",
        " /* c */",
        "; SHOW FUNCTIONS",
        " extra",
      ]);
      const sql = `${verb} ${noun} ${quoted}${tail}`;
      return rng.chance(0.4) ? mutateText(rng, sql) : sql;
    }
  }
}

type Doc = Record<string, unknown>;

/** A random YAML-ish value: scalars of every type, lists, maps, deep nesting. */
function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 9)) {
    case 0:
      return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, NaN]);
    case 1:
      return rng.chance(0.5);
    case 2:
      return null;
    case 3:
    case 4:
      return randomString(rng);
    case 5:
      return rng.pick([
        "127.0.0.1:1",
        "host:99999",
        ":9092",
        "a:b:c",
        "[::1]:9092",
      ]);
    case 6:
      return Array.from(
        { length: rng.int(4) },
        () => randomValue(rng, depth + 1),
      );
    case 7: {
      // fromEntries defines own keys, so "__proto__" stays a plain key.
      return Object.fromEntries(
        Array.from(
          { length: rng.int(4) },
          () => [randomString(rng).slice(0, 40), randomValue(rng, depth + 1)],
        ),
      );
    }
    default:
      return Array.from({ length: 70 }, () => ({ inputs: [] }));
  }
}

/** Every [container, key] pair of a parsed document, for structural edits. */
function slots(value: unknown, out: [Doc | unknown[], string | number][] = []) {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([value, i]);
      slots(item, out);
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push([value as Doc, key]);
      slots(item, out);
    }
  }
  return out;
}

/** YAML documents that attack the parser rather than the schema. */
function parserAttack(rng: Rng): string {
  switch (rng.int(6)) {
    case 0: { // alias expansion bomb
      const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 1; i < 12; i++) {
        const prev = `l${i - 1}`.replace("l0", "a");
        lines.push(`l${i}: &l${i} [${Array(9).fill(`*${prev}`).join(",")}]`);
      }
      return lines.join("\n");
    }
    case 1:
      return "[".repeat(20_000) + "]".repeat(20_000);
    case 2:
      return "name: !!python/object/apply:os.system ['id']\n";
    case 3:
      return "---\nname: a\n---\nname: b\n";
    case 4:
      return `name: x\n${"k: v\n".repeat(5)}\tbad: tab\n\u0000`;
    default:
      return `name: ${"y".repeat(1_000_000)}\n`;
  }
}

/** A task config YAML: the valid `base` mutated structurally or textually, or an attack. */
export function randomConfig(rng: Rng, base: string): string {
  const roll = rng.int(10);
  if (roll === 0) return parserAttack(rng);
  if (roll === 1) return randomString(rng);
  if (roll <= 4) return mutateText(rng, base);
  const doc = parse(base) as Doc;
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const all = slots(doc);
    const [container, key] = rng.pick(all);
    const op = rng.int(4);
    if (op === 0 && !Array.isArray(container)) delete container[key as string];
    else if (op === 1 && !Array.isArray(container)) {
      Object.defineProperty(container, randomString(rng).slice(0, 30), {
        value: randomValue(rng),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      (container as Record<string | number, unknown>)[key] = randomValue(rng);
    }
  }
  try {
    return stringify(doc);
  } catch {
    return base; // NaN keys and the like: fall back to the valid config
  }
}

/** One PythonModule message. */
export interface ModuleMessage {
  /** Dotted name. */
  module_name: string;
  /** Source bytes. */
  module_bytes: Uint8Array;
}

const MODULE_NAMES = [
  "job",
  "pkg.mod",
  "os",
  "sys",
  "json",
  "fs_api",
  "fs_runtime",
  "__init__",
  "__main__",
  "pyodide",
  "js",
  "../escape",
  "/abs",
  "a/b",
  "a..b",
  "a.",
  "9x",
];

const SOURCES = [
  "x = 1\n",
  "def broken(:\n",
  "raise RuntimeError('import fails')\n",
  "import definitely_not_installed\n",
  "class Job:\n    pass\n",
  "from fs_api import FSProcessorDriver\nclass Job(FSProcessorDriver):\n    def init(self, ctx, config):\n        raise ValueError('init fails')\n",
  "from fs_api import FSProcessorDriver\nclass Job(FSProcessorDriver):\n    pass\n",
];

/** 0-5 modules with random, nasty or plausible names and sources. */
export function randomModules(rng: Rng): ModuleMessage[] {
  return Array.from({ length: rng.int(6) }, () => {
    const name = rng.chance(0.5) ? rng.pick(MODULE_NAMES) : randomString(rng);
    let bytes: Uint8Array;
    switch (rng.int(4)) {
      case 0:
        bytes = rng.bytes(rng.int(2000));
        break;
      case 1:
        bytes = new TextEncoder().encode(mutateText(rng, rng.pick(SOURCES)));
        break;
      default:
        bytes = new TextEncoder().encode(rng.pick(SOURCES));
    }
    return { module_name: name, module_bytes: bytes };
  });
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** A length-delimited protobuf field. */
export function protoField(field: number, value: Uint8Array): Uint8Array {
  const head = [...varint((field << 3) | 2), ...varint(value.length)];
  const out = new Uint8Array(head.length + value.length);
  out.set(head);
  out.set(value, head.length);
  return out;
}

/** Bytes that are not valid UTF-8 (lone continuation, overlong, truncated). */
export function invalidUtf8(rng: Rng): Uint8Array {
  const pieces = [[0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xff, 0xfe], [
    0xed,
    0xa0,
    0x80,
  ]];
  const out: number[] = [0x61];
  for (let i = 1 + rng.int(5); i > 0; i--) out.push(...rng.pick(pieces), 0x62);
  return new Uint8Array(out);
}
