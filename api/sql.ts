/**
 * The SQL that ExecuteSql accepts: a handful of function lifecycle statements.
 *
 * ```
 * START FUNCTION <name>
 * STOP FUNCTION <name>
 * DROP FUNCTION <name>
 * SHOW FUNCTIONS [LIKE '<pattern>']
 * ```
 *
 * Keywords are case-insensitive, whitespace (newlines included) is free, and
 * one trailing `;` is allowed. A name is bare (letters, digits, `.`, `_`, `-`)
 * or quoted with backticks or double quotes (a doubled quote inside stands for
 * itself). The LIKE pattern is a single-quoted string (`''` stands for `'`).
 * The parser only reads the text it is given: never files.
 * @module
 */
import { FsError } from "../runtime/core/mod.ts";

/** A parsed ExecuteSql statement. */
export type SqlStatement =
  | {
    /** Which lifecycle operation. */
    kind: "start" | "stop" | "drop";
    /** The function name, unquoted. */
    name: string;
  }
  | {
    /** List functions. */
    kind: "show";
    /** Glob pattern for `listFunctions` (from LIKE), absent for all. */
    pattern?: string;
  };

/** The statements ExecuteSql supports, as listed in error messages. */
export const SUPPORTED_STATEMENTS: readonly string[] = [
  "START FUNCTION <name>",
  "STOP FUNCTION <name>",
  "DROP FUNCTION <name>",
  "SHOW FUNCTIONS [LIKE '<pattern>']",
];

/** Longest SQL text accepted; the statements above are tiny. */
export const MAX_SQL_LENGTH = 16 * 1024;

type Token =
  | { type: "word"; text: string }
  | { type: "quoted"; text: string }
  | { type: "string"; text: string }
  | { type: "semicolon" };

const LIFECYCLE_KINDS: Record<string, "start" | "stop" | "drop"> = {
  START: "start",
  STOP: "stop",
  DROP: "drop",
};
const WORD_CHAR = /[A-Za-z0-9_.\-]/;

function supportedList(): string {
  return SUPPORTED_STATEMENTS.join("; ");
}

function badSql(message: string): FsError {
  return new FsError("BAD_REQUEST", message);
}

/** Quotes user text for a message: shortened, control characters escaped. */
function show(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

function describe(token: Token | undefined): string {
  if (token === undefined) return "end of statement";
  if (token.type === "semicolon") return "';'";
  if (token.type === "string") return `string ${show(`'${token.text}'`)}`;
  return show(token.text);
}

/** Reads a quoted run starting at `start` (the opening quote); doubled quotes escape. */
function readQuoted(sql: string, start: number): { text: string; end: number } {
  const quote = sql[start];
  let text = "";
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        text += quote;
        i += 2;
        continue;
      }
      return { text, end: i + 1 };
    }
    text += sql[i];
    i++;
  }
  throw badSql(
    `Cannot parse SQL as a ${quote} quote opened at position ${start} is never closed: current value is ${
      show(sql.slice(start))
    }`,
  );
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i];
    if (/\s/.test(char)) {
      i++;
    } else if (char === ";") {
      tokens.push({ type: "semicolon" });
      i++;
    } else if (char === "`" || char === '"' || char === "'") {
      const { text, end } = readQuoted(sql, i);
      tokens.push({ type: char === "'" ? "string" : "quoted", text });
      i = end;
    } else if (WORD_CHAR.test(char)) {
      let end = i;
      while (end < sql.length && WORD_CHAR.test(sql[end])) end++;
      tokens.push({ type: "word", text: sql.slice(i, end) });
      i = end;
    } else {
      throw badSql(
        `Cannot parse SQL as character ${
          show(char)
        } at position ${i} is not allowed here: ` +
          `current value is ${
            show(sql)
          }; quote names with backticks or double quotes`,
      );
    }
  }
  return tokens;
}

function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token?.type === "word" && token.text.toUpperCase() === keyword;
}

function expectEnd(tokens: Token[], index: number, after: string): void {
  if (index < tokens.length) {
    throw badSql(
      `Cannot parse SQL as the statement should end after '${after}': current value is ${
        describe(tokens[index])
      }`,
    );
  }
}

function parseLifecycle(
  tokens: Token[],
  kind: "start" | "stop" | "drop",
): SqlStatement {
  const verb = kind.toUpperCase();
  if (!isKeyword(tokens[1], "FUNCTION")) {
    throw badSql(
      `Cannot parse SQL as FUNCTION was expected after '${verb}': current value is ${
        describe(tokens[1])
      }`,
    );
  }
  const nameToken = tokens[2];
  if (nameToken?.type !== "word" && nameToken?.type !== "quoted") {
    throw badSql(
      `Cannot parse SQL as a function name (bare, \`quoted\` or "quoted") was expected after ` +
        `'${verb} FUNCTION': current value is ${describe(nameToken)}`,
    );
  }
  if (nameToken.text === "") {
    throw badSql(
      `Cannot parse SQL as the function name after '${verb} FUNCTION' is empty: current value is ""`,
    );
  }
  expectEnd(tokens, 3, `${verb} FUNCTION ${nameToken.text}`);
  return { kind, name: nameToken.text };
}

function parseShow(tokens: Token[]): SqlStatement {
  if (!isKeyword(tokens[1], "FUNCTIONS")) {
    throw badSql(
      `Cannot parse SQL as FUNCTIONS was expected after 'SHOW': current value is ${
        describe(tokens[1])
      }`,
    );
  }
  if (tokens.length === 2) return { kind: "show" };
  if (!isKeyword(tokens[2], "LIKE")) {
    throw badSql(
      `Cannot parse SQL as LIKE or the end of the statement was expected after 'SHOW FUNCTIONS': ` +
        `current value is ${describe(tokens[2])}`,
    );
  }
  const patternToken = tokens[3];
  if (patternToken?.type !== "string") {
    throw badSql(
      `Cannot parse SQL as a pattern in single quotes (e.g. 'etl%') was expected after ` +
        `'SHOW FUNCTIONS LIKE': current value is ${describe(patternToken)}`,
    );
  }
  expectEnd(tokens, 4, `SHOW FUNCTIONS LIKE '${patternToken.text}'`);
  return { kind: "show", pattern: likeToGlob(patternToken.text) };
}

/**
 * Converts a SQL LIKE pattern into the glob that `listFunctions` takes:
 * `%` becomes `*` (any run), `_` becomes `?` (one character), `\%`, `\_` and
 * `\\` stand for the literal character (glob does not treat `%`/`_` as
 * special, so they need no glob escape). Glob characters `*`, `?` and
 * `[...]` are kept, so `LIKE 'etl*'` and `LIKE 'etl%'` mean the same.
 */
export function likeToGlob(like: string): string {
  let glob = "";
  for (let i = 0; i < like.length; i++) {
    const char = like[i];
    const next = like[i + 1];
    if (char === "\\" && (next === "%" || next === "_" || next === "\\")) {
      glob += next;
      i++;
    } else if (char === "%") {
      glob += "*";
    } else if (char === "_") {
      glob += "?";
    } else {
      glob += char;
    }
  }
  return glob;
}

/**
 * Parses one ExecuteSql statement. Throws FsError BAD_REQUEST naming what was
 * expected, or listing the supported statements for anything else.
 */
export function parseSql(sql: string): SqlStatement {
  if (sql.length > MAX_SQL_LENGTH) {
    throw new FsError(
      "LIMIT_EXCEEDED",
      `Cannot run SQL as it is longer than ${MAX_SQL_LENGTH} characters: current value is ${sql.length}`,
    );
  }
  const trimmed = sql.trim();
  if (trimmed === "" || trimmed === ";") {
    throw badSql(
      `Cannot run SQL as it is empty: supported statements are ${supportedList()}`,
    );
  }
  // Check the leading keyword before tokenizing so CREATE, SELECT or a file
  // path get the list of supported statements, not a character complaint.
  const first = /^[A-Za-z0-9_.\-]+/.exec(trimmed)?.[0].toUpperCase();
  if (
    first === undefined ||
    (!Object.hasOwn(LIFECYCLE_KINDS, first) && first !== "SHOW")
  ) {
    throw badSql(
      `Cannot run SQL as it is not one of the supported statements (${supportedList()}): ` +
        `current value is ${show(trimmed)}`,
    );
  }
  const tokens = tokenize(trimmed);
  if (tokens.at(-1)?.type === "semicolon") tokens.pop();
  if (tokens.some((token) => token.type === "semicolon")) {
    throw badSql(
      `Cannot run SQL as it holds more than one statement: send one statement per request: ` +
        `current value is ${show(trimmed)}`,
    );
  }
  if (first === "SHOW") return parseShow(tokens);
  return parseLifecycle(tokens, LIFECYCLE_KINDS[first]);
}
