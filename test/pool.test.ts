// The thread pool's wait/notify protocol under stress (host/core/pool.ts): thousands of generations
// with random caller delays and random slice sizes (some threads idle, some busy), more threads than
// cores, failing slices on the caller and on a worker, and workers that start after the first run
// was posted. Every forward's output is checked against one thread's, so a slice that did not run
// (a generation counted for another) fails as surely as a lost wake-up, which hangs.
// Short in `npm test`; STRESS=long runs 100 × as many generations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { SEED } from "../host/core/arch.js";
import { Model } from "../host/core/model.js";
import { JOB, ThreadPool, type SliceJob, type Spawner } from "../host/core/pool.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { testRandom } from "./helpers.js";

const LONG = process.env.STRESS === "long";
const GENERATIONS = LONG ? 300_000 : 3_000;
const MAX_B = 6;

/** Busy-waits about `us` microseconds (the caller's random delay before posting a generation). */
function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

/** A spawner that does not wait for the worker to be ready: the first run is posted before it starts. */
const spawnUnready: Spawner = async (init) => {
  const w = new Worker(new URL("../host/node/thread-worker.js", import.meta.url), { workerData: init });
  w.unref();
  return { terminate: () => void w.terminate() };
};

test(`thread pool: ${GENERATIONS} generations per pool size with random delays, failures and late workers lose no wake-up and skip no slice`, async () => {
  const single = await openNodeEngine({ build: "strict" });
  const engine = await openNodeEngine({ build: "strict", threads: true });
  const signed = testRandom(17),
    r = () => (signed() + 1) / 2; // [0, 1)
  // One thread's outputs for MAX_B fixed images: a forward's image does not depend on its batch.
  const input = Float32Array.from({ length: MAX_B * 28 * 28 }, () => r());
  const ref = new Model(single, SEED, MAX_B);
  ref.init(5);
  new Float32Array(single.memory.buffer, ref.input, input.length).set(input);
  ref.forward(MAX_B);
  const last = ref.layers.length - 1,
    want = ref.activation(last).slice();
  const start = performance.now();
  let generations = 0,
    failures = 0,
    forwards = 0;
  for (const [size, spawn] of [
    [2, undefined],
    [3, undefined],
    [2, spawnUnready],
    [3, spawnUnready],
  ] as const) {
    const pool = spawn ? await ThreadPool.create(engine, size, spawn) : await nodePool(engine, size);
    const model = new Model(engine, SEED, MAX_B, pool);
    try {
      model.paramsView().set(ref.paramsView());
      new Float32Array(engine.memory.buffer, model.input, input.length).set(input);
      const bad: SliceJob = { kind: JOB.forward, table: engine.memory.buffer.byteLength, layers: 1, B: 1, ws: 0 };
      const n = spawn ? GENERATIONS / 4 : GENERATIONS;
      for (let i = 0; i < n; i++, generations++) {
        const u = r();
        if (u < 0.3) spin(r() * 200);
        const kind = r();
        if (kind < 0.4) {
          pool.run(Array.from({ length: size }, () => ({ kind: JOB.idle })));
        } else if (kind < 0.98) {
          const B = 1 + Math.floor(r() * MAX_B),
            out = model.activation(last, B);
          out.fill(NaN);
          model.forward(B);
          forwards++;
          for (let k = 0; k < out.length; k++)
            if (out[k] !== want[k])
              assert.fail(
                `generation ${i}, ${size} threads, batch ${B}: output ${k} is ${out[k]}, one thread gives ${want[k]}`,
              );
        } else {
          const t = Math.floor(r() * size); // thread t's slice traps (0: the caller)
          const jobs = Array.from({ length: size }, (_, j): SliceJob => (j === t ? bad : { kind: JOB.idle }));
          assert.throws(() => pool.run(jobs), t === 0 ? WebAssembly.RuntimeError : /worker thread failed/);
          failures++;
        }
      }
    } finally {
      model.dispose();
      pool.close();
    }
    assert.throws(() => pool.run([{ kind: JOB.idle }]), /closed/);
  }
  const s = (performance.now() - start) / 1000;
  console.log(
    `# ${generations} generations (${forwards} checked forwards, ${failures} failing slices) on 2- and 3-thread pools, ${s.toFixed(1)} s (${(generations / s).toFixed(0)} /s)`,
  );
});
