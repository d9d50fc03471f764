// The host's layout rule, checked on the sources: host/core/ (what the page may load) imports
// nothing from host/node/ or host/cli/, host/node/ nothing from host/cli/, the page (web/ files the
// browser loads) only host/core/ and the library's browser entry, which (host/api.ts,
// host/browser.ts, host/browser-thread.ts) imports only host/core/ and itself; no module imports
// itself through a cycle; the page reaches the engine only through the library; host/ never
// names bench/. (tsconfig.browser.json
// additionally compiles host/core/ and the page without Node's types, so `node:` imports and
// `process` there fail the build.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { PACKAGE_ROOT } from "../host/node/files.js";

/** Every .ts file under dir, as paths relative to the package root. */
function sources(dir: string): string[] {
  return readdirSync(join(PACKAGE_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith(".ts"))
    .map((d) => relative(PACKAGE_ROOT, join(d.parentPath ?? (d as unknown as { path: string }).path, d.name)));
}

/** A file's relative imports (type-only ones too), resolved to .ts paths relative to the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(PACKAGE_ROOT, file), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"|import\("(\.{1,2}\/[^"]+)"\)/g,
  )) {
    const spec = m[1] ?? m[2];
    out.push(relative(PACKAGE_ROOT, resolve(PACKAGE_ROOT, dirname(file), spec)).replace(/\.js$/, ".ts"));
  }
  return out;
}

/** The page's own files: every .ts under web/ (tsconfig.browser.json compiles them all without Node's types). */
const PAGE = sources("web");
const LIBRARY = ["host/api.ts", "host/browser.ts", "host/browser-thread.ts"];

test("host/core and the library's browser entry import nothing Node-only; the page imports only host/core and the library's browser entry; no import cycles", () => {
  const files = [...sources("host"), ...PAGE];
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const breaks: string[] = [];
  for (const [f, deps] of graph) {
    for (const d of deps) {
      if (f.startsWith("host/core/") && !d.startsWith("host/core/")) breaks.push(`${f} → ${d}`);
      if (f.startsWith("host/node/") && d.startsWith("host/cli/")) breaks.push(`${f} → ${d}`);
      if (PAGE.includes(f) && !d.startsWith("host/core/") && !LIBRARY.includes(d) && !PAGE.includes(d))
        breaks.push(`${f} → ${d}`);
      if (LIBRARY.includes(f) && !d.startsWith("host/core/") && !LIBRARY.includes(d)) breaks.push(`${f} → ${d}`);
    }
  }
  assert.deepEqual(breaks, [], "imports across the layout's rule");
  // Cycles: depth-first search, reporting the first cycle found as a path.
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  let cycle: string[] | undefined;
  const visit = (f: string): void => {
    if (cycle || state.get(f) === "done") return;
    if (state.get(f) === "open") {
      cycle = [...stack.slice(stack.indexOf(f)), f];
      return;
    }
    state.set(f, "open");
    stack.push(f);
    for (const d of graph.get(f) ?? []) visit(d);
    stack.pop();
    state.set(f, "done");
  };
  for (const f of graph.keys()) visit(f);
  assert.equal(cycle, undefined, `import cycle: ${cycle?.join(" → ")}`);
  console.log(
    `# layout: ${files.length} files, ${[...graph.values()].reduce((a, d) => a + d.length, 0)} relative imports, no rule broken, no cycle`,
  );
});

test("tsconfig.browser.json compiles every page file and the library's browser entry", () => {
  const include = JSON.parse(readFileSync(join(PACKAGE_ROOT, "tsconfig.browser.json"), "utf8")).include as string[];
  for (const f of ["web/**/*.ts", ...LIBRARY])
    assert.ok(include.includes(f), `tsconfig.browser.json's include lacks ${f}`);
});

test("one engine entry per platform: no page file instantiates wasm or starts pool threads itself; nothing in host/ names bench/", () => {
  const breaks: string[] = [];
  // The page's files (every .ts under web/) reach the engine only through the library's browser entry (host/browser.ts).
  const forbidden: [RegExp, string][] = [
    [/WebAssembly\./, "uses WebAssembly itself"],
    [/\.wasm\b/, "names a .wasm file"],
    [/\b(openEngine|instantiate|ThreadPool|workerMain|nodePool)\b/, "starts an engine or pool threads itself"],
    [
      /^import\s+(?!type\b)[^;]*from\s+"[./]*host\/core\/(engine|pool)\.js"/m,
      "imports the engine or the pool instead of the library",
    ],
  ];
  for (const f of sources("web")) {
    const text = readFileSync(join(PACKAGE_ROOT, f), "utf8");
    for (const [re, what] of forbidden) if (re.test(text)) breaks.push(`${f} ${what} (${re})`);
  }
  // Arrows point down: the shipped library and CLI never reach into the benchmarks.
  for (const f of sources("host")) {
    const text = readFileSync(join(PACKAGE_ROOT, f), "utf8");
    if (/\bbench\//.test(text)) breaks.push(`${f} names bench/`);
  }
  assert.deepEqual(breaks, [], "the layout's entry rules");
});
