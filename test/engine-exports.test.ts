// The engine boundary, typed by hand in host/core/exports.ts (EngineExports), against what each built
// .wasm really exports: the same function names, each with the declared number of parameters; the
// non-function exports (memory, the ABI globals host/core/abi.ts reads) all accounted for; and the
// threads builds' shared memory (THREADS_MEMORY) equal to asconfig.json's. Every build asconfig.json
// makes is checked; one this runtime does not validate (relaxed without
// --experimental-wasm-relaxed-simd) is skipped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { THREADS_MEMORY } from "../host/core/engine.js";
import { readAbi } from "../host/core/abi.js";
import { PACKAGE_ROOT } from "../host/node/files.js";

interface Target {
  outFile: string;
  importMemory?: boolean;
  sharedMemory?: boolean;
  initialMemory?: number;
  maximumMemory?: number;
}
const asconfig = JSON.parse(readFileSync(join(PACKAGE_ROOT, "asconfig.json"), "utf8")) as {
  targets: Record<string, Target>;
};

/** The members of `interface name` in a TypeScript source: methods with their parameter counts, and properties. */
function interfaceMembers(source: string, name: string): { methods: Map<string, number>; properties: Set<string> } {
  const start = source.indexOf(`export interface ${name} {`);
  assert.ok(start >= 0, `interface ${name} not found`);
  // The body up to the brace that closes it; comments removed first (they may hold parentheses or semicolons).
  const open = source.indexOf("{", start);
  let depth = 0,
    end = open;
  for (; end < source.length; end++) {
    if (source[end] === "{") depth++;
    else if (source[end] === "}" && --depth === 0) break;
  }
  const body = source
    .slice(open + 1, end)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
  // Members end at a ";" outside parentheses.
  const members: string[] = [];
  let cur = "",
    paren = 0;
  for (const ch of body) {
    if (ch === "(") paren++;
    else if (ch === ")") paren--;
    if (ch === ";" && paren === 0) {
      members.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  assert.equal(cur.trim(), "", `interface ${name}: text after the last member: ${cur.trim()}`);
  const methods = new Map<string, number>(),
    properties = new Set<string>();
  for (const m of members.filter(Boolean)) {
    const method = /^(\w+)\s*\(([\s\S]*)\)\s*:[\s\S]+$/.exec(m);
    if (method) {
      const params = method[2]
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean);
      assert.ok(!methods.has(method[1]), `interface ${name} declares ${method[1]} twice`);
      methods.set(method[1], params.length);
      continue;
    }
    const prop = /^(\w+)\s*:/.exec(m);
    assert.ok(prop, `interface ${name}: cannot read member "${m}"`);
    properties.add(prop[1]);
  }
  return { methods, properties };
}

const declared = interfaceMembers(readFileSync(join(PACKAGE_ROOT, "host/core/exports.ts"), "utf8"), "EngineExports");

test("the EngineExports parser reads the interface (a sanity floor, so an empty parse cannot pass)", () => {
  assert.ok(declared.methods.size >= 50, `only ${declared.methods.size} methods read from EngineExports`);
  assert.equal(declared.methods.get("gemm"), 13);
  assert.equal(declared.methods.get("buildMode"), 0);
  assert.deepEqual([...declared.properties], ["memory"]);
});

test("THREADS_MEMORY (host/core/engine.ts) matches asconfig.json's initialMemory / maximumMemory of every threads target", () => {
  const threads = Object.entries(asconfig.targets).filter(([, t]) => t.sharedMemory);
  assert.deepEqual(threads.map(([n]) => n).sort(), ["relaxed-threads", "strict-threads"]);
  for (const [name, t] of threads) {
    assert.equal(
      t.initialMemory,
      THREADS_MEMORY.initial,
      `asconfig.json target ${name}: initialMemory ${t.initialMemory} ≠ THREADS_MEMORY.initial ${THREADS_MEMORY.initial}`,
    );
    assert.equal(
      t.maximumMemory,
      THREADS_MEMORY.maximum,
      `asconfig.json target ${name}: maximumMemory ${t.maximumMemory} ≠ THREADS_MEMORY.maximum ${THREADS_MEMORY.maximum}`,
    );
    assert.ok(t.importMemory, `asconfig.json target ${name}: a shared memory must be imported (the host passes one)`);
  }
});

for (const [name, target] of Object.entries(asconfig.targets)) {
  test(`${target.outFile} (target ${name}) exports exactly EngineExports`, async (t) => {
    const path = join(PACKAGE_ROOT, target.outFile);
    assert.ok(existsSync(path), `${target.outFile} is missing: run npm run build`);
    const bytes = readFileSync(path);
    if (!WebAssembly.validate(bytes)) return t.skip(`${target.outFile} does not validate in this runtime`);
    const module = new WebAssembly.Module(bytes);
    const memory = target.sharedMemory ? new WebAssembly.Memory({ ...THREADS_MEMORY, shared: true }) : undefined;
    const env: WebAssembly.ModuleImports = {
      abort: () => {
        throw new Error(`${target.outFile}: abort while instantiating`);
      },
    };
    if (memory) env.memory = memory;
    const instance = new WebAssembly.Instance(module, { env });
    const exports = instance.exports as Record<string, unknown>;

    // Functions: the same names both ways, then the parameter counts.
    const functions = Object.keys(exports).filter((k) => typeof exports[k] === "function");
    const missing = [...declared.methods.keys()].filter((k) => !functions.includes(k));
    const undeclared = functions.filter((k) => !declared.methods.has(k));
    assert.deepEqual(missing, [], `${target.outFile} lacks functions EngineExports declares: ${missing.join(", ")}`);
    assert.deepEqual(
      undeclared,
      [],
      `${target.outFile} exports functions EngineExports does not declare: ${undeclared.join(", ")}`,
    );
    for (const [fn, count] of declared.methods) {
      const length = (exports[fn] as (...args: unknown[]) => unknown).length;
      assert.equal(
        length,
        count,
        `${fn}: the .wasm export takes ${length} parameters, EngineExports declares ${count}`,
      );
    }

    // Everything else: EngineExports' properties (memory) and the globals readAbi reads, no more, no fewer.
    const read = new Set<string>();
    readAbi(
      new Proxy(exports, {
        get: (o, k) => {
          if (typeof k === "string") read.add(k);
          return o[k as string];
        },
      }),
    );
    const others = Object.keys(exports).filter((k) => typeof exports[k] !== "function");
    for (const p of declared.properties) {
      assert.ok(others.includes(p), `${target.outFile} does not export ${p}, which EngineExports declares`);
    }
    assert.ok(exports.memory instanceof WebAssembly.Memory, `${target.outFile}: memory is not a WebAssembly.Memory`);
    if (memory)
      assert.equal(exports.memory, memory, `${target.outFile}: exports a memory other than the shared one it imports`);
    for (const k of others) {
      if (declared.properties.has(k)) continue;
      assert.ok(
        exports[k] instanceof WebAssembly.Global,
        `${target.outFile}: export ${k} is neither a function, a global nor in EngineExports`,
      );
      assert.ok(read.has(k), `${target.outFile}: exported global ${k} is not read by host/core/abi.ts readAbi`);
    }
  });
}
