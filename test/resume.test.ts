// Determinism and resumable training.
//  - The same seed and build give bit-identical weights run after run (weightsDigest), for every
//    build this runtime runs; strict and scalar agree bit for bit; relaxed (fused multiply-add)
//    is reported against strict, not required to match it.
//  - A Trainer stopped at any batch boundary, checkpointed to bytes and restored into a fresh model
//    ends bit-identical to an uninterrupted run (same weights, Adam state, losses).
//  - The CLI killed with SIGTERM / SIGINT at a random moment (20 kills: digits on 1 and 2 threads,
//    relaxed, photo folders) exits 143 / 130 after writing its checkpoint; `train --resume` with the
//    arguments its message gives (once or after a second kill) ends with the same bytes as a run
//    that was never interrupted. Neither file names the directories it was made in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { homedir, tmpdir } from "node:os";
import jpeg from "jpeg-js";
import { join } from "node:path";
import { SEED } from "../host/core/arch.js";
import { decodeCheckpoint, encodeCheckpoint, dataFacts } from "../host/core/checkpoint.js";
import { DEFAULT_DATA } from "../host/node/files.js";
import type { BuildName } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine } from "../host/node/engine.js";
import { readImages, readSafetensors } from "../host/node/files.js";
import { decodeSafetensors } from "../host/core/safetensors.js";
import { DivergedError, newRun, Trainer, trainLoop, trainModel, type LoopOptions } from "../host/core/train.js";
import { applyWeights, weightsDigest } from "../host/core/weights.js";
import { CLI, makeData, runCli, runnable } from "./helpers.js";
import { craftPng } from "./pngcraft.js";

const tmp = mkdtempSync(join(tmpdir(), "denoise-resume-"));
const all = readImages(join(DEFAULT_DATA, "train-images-idx3-ubyte"));
const images = { ...all, count: 256, pixels: all.pixels.subarray(0, 256 * 784) };
const OPTS: Omit<LoopOptions, "epochs"> = { noise: "mixed", batch: 32, seed: 7, shuffle: true };

async function trainDigest(build: BuildName, epochs: number): Promise<string> {
  const engine = await openNodeEngine({ build });
  const model = new Model(engine, SEED, OPTS.batch);
  model.init(OPTS.seed);
  trainModel(model, images, { ...OPTS, epochs });
  return weightsDigest(model);
}

test("same seed and build → bit-identical weights, run after run (every build)", async () => {
  const digests: Partial<Record<BuildName, string>> = {};
  for (const build of ["strict", "scalar", "relaxed"] as BuildName[]) {
    if (!runnable(build)) continue;
    const a = await trainDigest(build, 2),
      b = await trainDigest(build, 2);
    assert.equal(a, b, `${build}: two runs differ`);
    digests[build] = a;
  }
  assert.ok(digests.strict && digests.scalar, "strict and scalar must run");
  assert.equal(digests.strict, digests.scalar, "strict and scalar builds differ");
  console.log(
    `# 2 epochs × 256 images, seed ${OPTS.seed}, each build twice: ${Object.entries(digests)
      .map(([b, d]) => `${b} ${d}`)
      .join(", ")}` +
      (digests.relaxed
        ? `; relaxed ${digests.relaxed === digests.strict ? "equals" : "differs from"} strict`
        : "; relaxed not runnable here"),
  );
});

test("a resumed epoch's progress counts from the epoch's start, its rate from this session's batches, its ETA over the whole run", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const epochs = 3,
    nb = 256 / OPTS.batch,
    stopAt = nb + 3; // 3 batches into epoch 2
  const model = new Model(engine, SEED, OPTS.batch);
  model.init(OPTS.seed);
  const trainer = new Trainer(model, images, OPTS),
    run = newRun();
  const it = trainLoop(trainer, epochs, run);
  for (let i = 0; i <= stopAt; i++) it.next();
  it.return(run);
  const bars: { label: string; total: number; start?: number; after?: number; updates: number[] }[] = [];
  const progress = (label: string, total: number, span: { start?: number; after?: number } = {}) => {
    const bar = { label, total, ...span, updates: [] as number[] };
    bars.push(bar);
    return { update: (done: number) => void bar.updates.push(done), done() {} };
  };
  const resumed = trainLoop(trainer, epochs, run, { progress });
  while (!resumed.next().done);
  assert.deepEqual(
    bars.map((b) => [b.label, b.total, b.start, b.after]),
    [
      ["epoch 2/3", 256, 3 * OPTS.batch, 256], // not 208/208: the epoch's own count, started at its 4th batch
      ["epoch 3/3", 256, 0, 0],
    ],
  );
  assert.ok(
    bars[0].updates.every((d) => d > 3 * OPTS.batch && d <= 256),
    `epoch 2 updates ${bars[0].updates}`,
  );
  assert.equal(bars[0].updates.at(-1), 256);
});

test("a Trainer stopped at any batch boundary resumes bit-identically from checkpoint bytes", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const epochs = 3;
  const fresh = () => {
    const model = new Model(engine, SEED, OPTS.batch);
    model.init(OPTS.seed);
    model.adam.lr = 2e-3;
    return model;
  };
  const refModel = fresh();
  const refRun = trainModel(refModel, images, { ...OPTS, epochs });
  const ref = {
    digest: weightsDigest(refModel),
    m: refModel.adamMView().slice(),
    v: refModel.adamVView().slice(),
    step: refModel.step,
  };
  const nb = 256 / OPTS.batch,
    total = epochs * nb;
  const settings = {
    noise: OPTS.noise,
    batch: OPTS.batch,
    lr: 2e-3,
    seed: OPTS.seed,
    shuffle: true,
    data: "test",
    epochs,
    arch: "seed",
    build: "strict",
    out: "x",
  };
  const stops = [0, 1, nb - 1, nb, nb + 1, 2 * nb - 1, 2 * nb + 3, total - 1];
  for (const k of stops) {
    // Run k steps, checkpoint to bytes.
    const m1 = fresh();
    const t1 = new Trainer(m1, images, OPTS),
      run1 = newRun();
    const it = trainLoop(t1, epochs, run1);
    for (let i = 0; i <= k; i++) it.next();
    const bytes = encodeCheckpoint(m1, { settings, state: t1.state(), data: dataFacts(images, 256), history: run1 });
    // A fresh model and trainer from the bytes alone.
    const st = decodeSafetensors(bytes, "ckpt");
    const ck = decodeCheckpoint(st, "ckpt");
    const m2 = new Model(engine, SEED, OPTS.batch);
    applyWeights(m2, st, "ckpt", true);
    m2.adam.lr = ck.settings.lr;
    const t2 = new Trainer(m2, images, OPTS);
    t2.restore(ck.state);
    const it2 = trainLoop(t2, epochs, ck.history);
    while (!it2.next().done);
    assert.equal(weightsDigest(m2), ref.digest, `stopped after ${k} steps: weights differ`);
    assert.deepEqual(m2.adamMView(), ref.m, `stopped after ${k} steps: Adam m differs`);
    assert.deepEqual(m2.adamVView(), ref.v, `stopped after ${k} steps: Adam v differs`);
    assert.equal(m2.step, ref.step);
    assert.deepEqual(ck.history.batchLosses, refRun.batchLosses, `stopped after ${k} steps: losses differ`);
    assert.deepEqual(
      ck.history.epochs.map((e) => e.loss),
      refRun.epochs.map((e) => e.loss),
    );
  }
  console.log(
    `# in-process: stopped after ${stops.join(", ")} of ${total} steps, checkpointed to bytes, resumed: all bit-identical (${ref.digest})`,
  );
});

test("non-finite weights stop training even when the loss stays finite, in the loop and in Trainer.step alone (the page's Worker)", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const model = new Model(engine, SEED, OPTS.batch);
  const diverged = (e: Error) =>
    e instanceof DivergedError &&
    /^training diverged at step 1 \(epoch 1, batch 1 of 8\): weights became non-finite \(decoder\.0\.bias\[0\] = -Infinity\)$/.test(
      e.message,
    );
  for (const drive of [
    () => trainModel(model, images, { ...OPTS, epochs: 1 }),
    () => new Trainer(model, images, OPTS).step(),
  ]) {
    model.init(1);
    model.param("decoder.0.bias")[0] = -Infinity; // ReLU turns the channel into zeros: the loss stays finite
    assert.throws(drive, diverged);
  }
});

// ---- the CLI, killed at random moments ----
const data = makeData(join(tmp, "tiny"), 256, 16);

interface Killed {
  code: number | null;
  signal: NodeJS.Signals | null;
  err: string;
  delayMs: number;
  trainMs: number;
}

/** Spawns the CLI; `killAfter` ms after it reports its engine (signal handlers are up), sends `sig`. */
function spawnCli(args: string[], nodeArgs: string[], sig?: NodeJS.Signals, killAfter = 0): Promise<Killed> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, CLI, ...args]);
    let err = "",
      armedAt = 0;
    child.stderr.on("data", (d) => {
      err += d;
      if (!armedAt && err.includes("engine: ")) {
        armedAt = performance.now();
        if (sig) setTimeout(() => child.kill(sig), killAfter);
      }
    });
    child.on("close", (code, signal) =>
      resolve({ code, signal, err, delayMs: killAfter, trainMs: performance.now() - armedAt }),
    );
  });
}

/** Tensor bytes and the facts that must match between two weights files. */
function fingerprint(path: string): string {
  const st = readSafetensors(path);
  const parts = [...st.tensors]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, t]) => `${k}:${Buffer.from(t.data.buffer).toString("base64")}`);
  return [...parts, st.metadata["optimizer.step"], st.metadata.final_loss].join("|");
}

/** Metadata of a weights or checkpoint file must not name the directories it was made in. */
function assertNoPaths(file: string): void {
  const meta = JSON.stringify(readSafetensors(file).metadata);
  for (const dir of [tmp, tmpdir(), homedir(), process.cwd()].filter((d) => d.length > 1))
    assert.ok(!meta.includes(dir), `${file}: metadata holds the path ${dir}`);
}

/** A folder of small photos (gray PNGs and a colour JPEG) for photo training runs. */
function makePhotos(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const px = (k: number, x: number, y: number) =>
    Math.round(127 + 90 * Math.sin(x / (4 + k)) * Math.cos(y / (6 - k)) + ((x * 13 + y * 7 + k) % 17) - 8);
  for (let k = 0; k < 3; k++)
    writeFileSync(
      join(dir, `p${k}.png`),
      craftPng({ width: 40 + 8 * k, height: 36 + 4 * k, colorType: 0, bitDepth: 8 }, (x, y) => [px(k, x, y)]),
    );
  const W = 44,
    H = 40,
    rgba = new Uint8Array(4 * W * H);
  for (let i = 0; i < W * H; i++)
    for (let c = 0; c < 4; c++) rgba[4 * i + c] = c === 3 ? 255 : px(3, i % W, Math.floor(i / W)) - 10 * c;
  writeFileSync(join(dir, "colour.jpg"), jpeg.encode({ width: W, height: H, data: rgba }, 90).data);
  return dir;
}

const KILLS = 20;

test(`CLI killed ${KILLS} times by SIGTERM / SIGINT at random moments (digits on 1 and 2 threads, relaxed, photo folders), resumed: bit-identical to uninterrupted runs`, async () => {
  const lines: string[] = [];
  const relaxed = runnable("relaxed"); // the test runner has --experimental-wasm-relaxed-simd
  const digits = ["--data", data, "--epochs", "6", "--batch", "16", "--noise", "mixed", "--seed", "3"];
  const photos = [
    "--images",
    makePhotos(join(tmp, "photos")),
    "--arch",
    "unet16",
    "--patch",
    "16",
    "--patches-per-image",
    "8",
    "--batch",
    "8",
    "--val-split",
    "0.25",
    "--epochs",
    "4",
    "--seed",
    "3",
  ];
  const setups: { name: string; args: string[]; nodeArgs: string[]; kills: number }[] = [
    { name: "digits strict", args: [...digits, "--build", "strict", "--threads", "1"], nodeArgs: [], kills: 6 },
    {
      name: "digits strict 2 threads",
      args: [...digits, "--build", "strict", "--threads", "2"],
      nodeArgs: [],
      kills: 5,
    },
    ...(relaxed
      ? [
          {
            name: "digits relaxed",
            args: [...digits, "--build", "relaxed", "--threads", "1"],
            nodeArgs: ["--experimental-wasm-relaxed-simd"],
            kills: 3,
          },
        ]
      : []),
    {
      name: "photos strict",
      args: [...photos, "--build", "strict", "--threads", "1"],
      nodeArgs: [],
      kills: relaxed ? 6 : 9,
    },
  ];
  let kills = 0,
    resumes = 0;
  for (const [si, { name, args: common, nodeArgs, kills: want }] of setups.entries()) {
    const refOut = join(tmp, `ref-${si}.safetensors`);
    const ref = await spawnCli(["train", ...common, "--out", refOut], nodeArgs);
    assert.equal(ref.code, 0, ref.err);
    assert.ok(!existsSync(join(tmp, `ref-${si}.ckpt.safetensors`)), "the default checkpoint is removed after success");
    assertNoPaths(refOut);
    const wantPrint = fingerprint(refOut),
      T = ref.trainMs,
      TOTAL_STEPS = Number(readSafetensors(refOut).metadata["optimizer.step"]);
    let got = 0;
    for (let n = 0; got < want && n < 3 * want; n++) {
      const out = join(tmp, `run-${si}-${n}.safetensors`),
        ck = join(tmp, `run-${si}-${n}.ckpt.safetensors`);
      rmSync(out, { force: true });
      // One signal, or (every third run) a second one while the resumed run trains.
      const plan: NodeJS.Signals[] = (n % 2 ? ["SIGINT"] : ["SIGTERM"]) as NodeJS.Signals[];
      if (n % 3 === 2 && got + 1 < want) plan.push(n % 2 ? "SIGTERM" : "SIGINT");
      const story: string[] = [];
      let args = ["train", ...common, "--out", out],
        resume: string[] | undefined;
      let remaining = T; // ms of training left (the second kill aims inside the resumed run)
      for (const sig of plan) {
        const delay = Math.round((0.03 + 0.72 * Math.random()) * remaining);
        const r = await spawnCli(args, nodeArgs, sig, delay);
        if (r.signal !== null) {
          // Once training is over the handlers are gone and a signal stops the process at once
          // (README): only allowed after the last epoch, with the final checkpoint or the outputs left.
          assert.match(
            r.err,
            /epoch (\d+)\/\1: loss/,
            `${name} ${sig} after ${delay} ms: died by signal before training ended\n${r.err}`,
          );
          assert.ok(
            existsSync(ck) || existsSync(out),
            "killed after training, but neither the checkpoint nor the output is there",
          );
          story.push(`${sig} at ${delay} ms came after training ended (stopped at once)`);
          break;
        }
        if (r.code === 0) {
          story.push(`${sig} at ${delay} ms came after the run finished`);
          break;
        }
        assert.equal(r.code, sig === "SIGINT" ? 130 : 143, r.err);
        const last = r.err.trim().split("\n").at(-1)!;
        const m = last.match(
          /interrupted by (SIG\w+) at (.*?): checkpoint written to (.*?); continue with: denoise-wasm train (--resume .*)$/,
        );
        assert.ok(m, `unexpected last line: ${last}`);
        assert.equal(m[1], sig);
        assert.equal(m[3], ck);
        assert.ok(existsSync(ck) && !existsSync(out), "checkpoint written, no output yet");
        assertNoPaths(ck);
        story.push(`${sig} at ${delay} ms → ${m[2]}`);
        kills++;
        got++;
        remaining = T * (1 - Number(m[2].match(/step (\d+)/)![1]) / TOTAL_STEPS);
        resume = m[4].split(" "); // the hint's own arguments (paths here have no spaces)
        args = ["train", ...resume]; // not --quiet: the kill is timed from the "engine:" line
      }
      if (!existsSync(out) || existsSync(ck)) {
        // A signal after training ended leaves the finished checkpoint but no message: resume as the message would.
        const r = runCli(["train", ...(resume ?? ["--resume", ck, ...common.slice(0, 2)]), "--quiet"], { nodeArgs });
        assert.equal(r.code, 0, r.err);
      }
      if (story.some((x) => x.includes("→"))) resumes++;
      assert.equal(
        fingerprint(out),
        wantPrint,
        `${name} ${story.join("; ")}: final weights differ from the uninterrupted run`,
      );
      assert.ok(!existsSync(ck), "the default checkpoint is removed after a successful resume");
      assertNoPaths(out);
      lines.push(
        `${name}: ${story.join("; ")}${story.some((x) => x.includes("→")) ? " → resumed, identical" : " (not counted)"}`,
      );
    }
    assert.equal(got, want, `${name}: only ${got} of ${want} kills landed inside training`);
  }
  for (const l of lines) console.log(`# ${l}`);
  console.log(
    `# ${kills} kills in ${resumes} interrupted runs, all resumed bit-identical to the uninterrupted run (digits: 6 epochs × 256 images, batch 16; photos: 4 epochs × 32 patches, batch 8)`,
  );
  assert.equal(kills, KILLS);
});

test("--checkpoint keeps the file; resuming it with more --epochs continues the same run", () => {
  const ck = join(tmp, "kept.ckpt.safetensors"),
    a = join(tmp, "a.safetensors"),
    b = join(tmp, "b.safetensors");
  const common = ["--data", data, "--batch", "32", "--seed", "5", "--build", "strict", "--quiet"];
  let r = runCli(["train", ...common, "--epochs", "3", "--out", a, "--checkpoint", ck]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(ck));
  r = runCli(["train", "--resume", ck, "--epochs", "5", "--out", a, "--quiet"]);
  assert.equal(r.code, 1, "the checkpoint names its data folder; it is not in this directory");
  assert.match(
    r.err,
    /the checkpoint's data folder 'tiny' is not here \(checkpoints record names, not paths\): give it with --data <dir>/,
  );
  r = runCli(["train", "--resume", ck, "--data", data, "--epochs", "5", "--out", a, "--quiet"]);
  assert.equal(r.code, 0, r.err);
  r = runCli(["train", ...common, "--epochs", "5", "--out", b]);
  assert.equal(r.code, 0, r.err);
  assert.equal(fingerprint(a), fingerprint(b), "3 epochs + 2 resumed ≠ 5 epochs");
  const meta = readSafetensors(a).metadata;
  assert.equal(meta.resumed_from, "kept.ckpt.safetensors");
  assert.equal(meta.data, "tiny");
  assert.equal(meta.epochs, "5");
});

test("shipped weights record no absolute path (data by name or tag)", () => {
  const dir = fileURLToPath(new URL("../../data/", import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith(".safetensors"));
  assert.ok(files.length >= 3);
  for (const f of files) {
    for (const [k, v] of Object.entries(readSafetensors(join(dir, f)).metadata)) {
      assert.ok(
        !/(^|[\s"'=:])(\/|[A-Za-z]:\\)[\w.-]/.test(v) || k === "arch_json",
        `${f}: metadata ${k} = ${v} holds an absolute path`,
      );
    }
  }
});
