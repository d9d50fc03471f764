// The README (and docs/) cannot drift from the command line: every `denoise-wasm <command>` their
// shell blocks run must be a command of the built CLI, every flag on such a line must be in that
// command's --help, and every `--flag` the README's text names in inline code must be some command's flag.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../host/node/files.js";
import { runCli } from "./helpers.js";

const readme = readFileSync(join(PACKAGE_ROOT, "README.md"), "utf8");
/** The pages whose shell blocks are checked: the README and docs/*.md. */
const pages = [
  ["README.md", readme],
  ...readdirSync(join(PACKAGE_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => [`docs/${f}`, readFileSync(join(PACKAGE_ROOT, "docs", f), "utf8")]),
];

/** The lines of the README's sh / bash code blocks, a line ending in `\` joined with the next. */
function shellLines(md: string): string[] {
  const lines: string[] = [];
  for (const [, body] of md.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm))
    lines.push(...body.replace(/\\\n/g, " ").split("\n"));
  return lines;
}

/** The README without its fenced code blocks (the prose and its inline code). */
const prose = readme.replace(/^```[\s\S]*?^```/gm, "");

/** The flags a --help text defines: each option line's short and long names (`-o, --out <path>`). */
function definedFlags(help: string): Set<string> {
  const flags = new Set<string>();
  for (const [, short, long] of help.matchAll(/^ {2}(?:(-\w), )?(--[\w-]+)/gm)) {
    if (short) flags.add(short);
    flags.add(long);
  }
  return flags;
}

/** The flags a command line uses: tokens starting with - or -- after a space or a bracket. */
const usedFlags = (line: string) => [...line.matchAll(/(?<=[\s[|])(--?[a-zA-Z][\w-]*)/g)].map((m) => m[1]);

const main = runCli(["--help"]);
const commands = new Set(
  [...(main.out.split(/^Commands:$/m)[1] ?? "").matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]),
);
const helpOf = new Map<string, Set<string>>();
function flagsOf(command: string): Set<string> {
  if (!helpOf.has(command)) {
    const r = runCli([command, "--help"]);
    assert.equal(r.code, 0, `${command} --help: ${r.err}`);
    helpOf.set(command, definedFlags(r.out));
  }
  return helpOf.get(command)!;
}

test("the CLI lists its commands", () => {
  assert.equal(main.code, 0, main.err);
  for (const c of ["denoise", "eval", "train", "start", "noise", "export"]) assert.ok(commands.has(c), c);
});

for (const [page, text] of pages)
  test(`every denoise-wasm command and flag in ${page}'s shell blocks is in that command's --help`, () => {
    const problems: string[] = [];
    let checked = 0;
    for (const line of shellLines(text)) {
      const m = /(?:^\s*|\bnpx\s+)denoise-wasm\s+([a-z][\w-]*)(.*)$/.exec(line);
      if (!m) continue;
      const [, command, rest] = m;
      if (!commands.has(command)) {
        problems.push(`${page}: unknown command '${command}': ${line.trim()}`);
        continue;
      }
      const flags = flagsOf(command);
      for (const f of usedFlags(` ${rest}`)) {
        checked++;
        if (!flags.has(f)) problems.push(`${page}: ${command} has no ${f}: ${line.trim()}`);
      }
    }
    assert.deepEqual(problems, []);
    if (page === "README.md") assert.ok(checked >= 20, `only ${checked} flags found in the README's shell blocks`);
  });

test("every --flag the README's text names is a flag of some command", () => {
  const all = new Set([...commands].flatMap((c) => [...flagsOf(c)]));
  const named = [...prose.matchAll(/`(--[a-z][\w-]*)/g)].map((m) => m[1]);
  assert.ok(named.length >= 10, `only ${named.length} flags named in the README's text`);
  assert.deepEqual(
    named.filter((f) => !all.has(f)),
    [],
  );
});

test("the checks catch a drifted README: an unknown flag and an unknown command are found", () => {
  assert.ok(!flagsOf("denoise").has("--ouput"));
  assert.deepEqual(usedFlags(" a.png -o out/ [--sigma S | --strength X]"), ["-o", "--sigma", "--strength"]);
  assert.ok(!commands.has("denose"));
});
