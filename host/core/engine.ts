// The wasm engine as the host sees it: the build probe and instantiation (which also reads the
// ABI, host/core/abi.ts); the exports' types are in host/core/exports.ts. Nothing here touches `fs`:
// the page fetches the bytes, host/node/engine.ts reads them from disk.
import { readAbi, type Abi } from "./abi.js";
import { UserError } from "./errors.js";
import type { EngineExports } from "./exports.js";

export type { EngineExports };

/** The three binaries built from one source (asconfig.json targets). */
export type BuildName = "relaxed" | "strict" | "scalar";
export const BUILDS: readonly BuildName[] = ["relaxed", "strict", "scalar"];
export const BUILD_MODES: Record<BuildName, number> = { scalar: 0, strict: 1, relaxed: 2 };

/** An instantiated engine: its exports and which build it is. */
export interface Engine {
  readonly build: BuildName;
  /** A threads build on a shared memory: worker threads can instantiate `bytes` on `memory` too. */
  readonly threaded: boolean;
  readonly bytes: BufferSource;
  readonly memory: WebAssembly.Memory;
  readonly exports: EngineExports;
  /** Why this build was chosen (shown by the CLI and the page). */
  readonly reason: string;
  /** Record layouts and codes shared with the engine (assembly/abi.ts). */
  readonly abi: Abi;
  /** Most bytes this engine's memory can hold (what memory guards check plans against). */
  readonly maxBytes: number;
  /** The engine allocator's top (a byte address): what is reserved so far. */
  heapTop(): number;
  /** A Float32Array over the whole memory, rebuilt if memory has grown since the last call. */
  f32(): Float32Array;
}

/** Reads a build's .wasm bytes (from disk in Node, by fetch in the browser); `threads`: its threads variant. */
export type WasmSource = (build: BuildName, threads: boolean) => Promise<BufferSource>;

export interface LoadOptions {
  /** Force one build; "auto" (default) takes the best that validates: relaxed → strict → scalar. */
  build?: BuildName | "auto";
  /** Load the threads variant (shared memory; relaxed and strict only) so a ThreadPool can use it. */
  threads?: boolean;
}

/** Shared memory of the threads builds (64 KiB pages): must match asconfig.json's initialMemory / maximumMemory. */
export const THREADS_MEMORY = { initial: 64, maximum: 16384 } as const;
/**
 * Most an unshared engine memory is allowed to hold: wasm32 addresses end at 4 GiB and V8 caps a
 * memory there; 3 GiB leaves the JS side room for its own copies of what it reads out.
 */
export const MAX_MEMORY_BYTES = 3 * 2 ** 30;

/** The .wasm file name of a build. */
export function wasmFile(build: BuildName, threads: boolean): string {
  return `denoise-${build}${threads ? "-threads" : ""}.wasm`;
}

/** Reads the AssemblyScript string (UTF-16, length before it) that abort() points at. */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return "";
  const bytes = memory.buffer.byteLength;
  if (ptr < 4 || ptr >= bytes) return `<string at ${ptr}>`;
  const len = new Uint32Array(memory.buffer, ptr - 4, 1)[0] >>> 1;
  if (ptr + 2 * len > bytes) return `<string at ${ptr}>`;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, len));
}

/**
 * Instantiates one build's bytes. A threads build imports `shared` (or a new shared memory): worker
 * threads pass the main thread's memory here, so every instance sees the same arenas.
 */
export async function instantiate(
  build: BuildName,
  bytes: BufferSource,
  reason: string,
  threads = false,
  shared?: WebAssembly.Memory,
): Promise<Engine> {
  let memory: WebAssembly.Memory | undefined = threads
    ? (shared ?? new WebAssembly.Memory({ ...THREADS_MEMORY, shared: true }))
    : undefined;
  const imports = {
    env: {
      ...(memory ? { memory } : {}),
      abort(msg: number, file: number, line: number, col: number): never {
        const m = memory ? readAsString(memory, msg) : "";
        const f = memory ? readAsString(memory, file) : "";
        throw new Error(`wasm abort: ${m} at ${f}:${line}:${col}`);
      },
    },
  };
  const { instance } = await WebAssembly.instantiate(bytes, imports);
  const raw = instance.exports as unknown as EngineExports;
  // Wasm returns a pointer as an i32, which JavaScript reads as signed: above 2 GiB it would be
  // negative (and crash a typed-array view). The exports that return pointers are made unsigned
  // here, once; pointers passed into wasm wrap back to the same bits either way.
  const exports: EngineExports = {
    ...raw,
    alloc: (n) => raw.alloc(n) >>> 0,
    allocUncleared: (n) => raw.allocUncleared(n) >>> 0,
    heapTop: () => raw.heapTop() >>> 0,
  };
  memory = exports.memory;
  if (exports.buildMode() !== BUILD_MODES[build]) {
    throw new Error(`${build} build reports mode ${exports.buildMode()}: the build files are mixed up`);
  }
  let view = new Float32Array(memory.buffer);
  return {
    build,
    threaded: threads,
    bytes,
    memory,
    exports,
    reason,
    abi: readAbi(instance.exports),
    maxBytes: threads ? THREADS_MEMORY.maximum * 65536 : MAX_MEMORY_BYTES,
    heapTop: () => exports.heapTop(),
    f32() {
      if (view.buffer !== exports.memory.buffer) view = new Float32Array(exports.memory.buffer);
      return view;
    },
  };
}

/**
 * Instantiates the engine from a source of .wasm bytes: the named build, or the best one this runtime validates (relaxed SIMD needs
 * Chromium, or Node 20 started with --experimental-wasm-relaxed-simd).
 */
export async function openEngine(source: WasmSource, opts: LoadOptions = {}): Promise<Engine> {
  const wanted = opts.build ?? "auto",
    threads = !!opts.threads;
  // The one statement of this rule: the scalar build has no threads variant.
  if (threads && wanted === "scalar")
    throw new UserError("more than one thread needs a SIMD build (relaxed or strict), not the scalar build");
  if (wanted !== "auto") {
    if (!BUILDS.includes(wanted)) throw new Error(`unknown build '${wanted}' (use ${BUILDS.join(", ")} or auto)`);
    const bytes = await source(wanted, threads);
    if (!WebAssembly.validate(bytes)) throw new Error(unsupportedMessage(wanted));
    return instantiate(wanted, bytes, `${wanted} requested`, threads);
  }
  const skipped: string[] = [];
  for (const build of threads ? BUILDS.filter((b) => b !== "scalar") : BUILDS) {
    const bytes = await source(build, threads);
    if (WebAssembly.validate(bytes)) {
      const why = skipped.length ? `best that validates here (${skipped.join("; ")})` : "best build, validates here";
      return instantiate(build, bytes, why, threads);
    }
    skipped.push(unsupportedMessage(build));
  }
  throw new Error(`no engine build validates in this runtime: ${skipped.join("; ")}`);
}

function unsupportedMessage(build: BuildName): string {
  if (build === "relaxed") {
    return "relaxed SIMD not supported by this runtime (Node 20 needs --experimental-wasm-relaxed-simd)";
  }
  if (build === "strict") return "SIMD not supported by this runtime";
  return "WebAssembly MVP build does not validate";
}
