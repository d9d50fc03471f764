// The classical baselines of `eval --images` (non-local means, TV, wavelet): computed by
// host/node/baselines.py with scikit-image when a Python here has it, else looked up in a cache
// file holding the script's earlier output (data/photos/baselines.json: the shipped test photos).
// Every entry carries the SHA-256 of the noisy 8-bit pixels it was computed on; eval takes a cached
// entry only when its own noisy pixels hash the same, so a changed photo or noise generator can never
// show stale numbers.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { fileError, UserError } from "../core/errors.js";
import type { Score } from "../core/eval.js";
import { BASELINES, type Baseline } from "../core/phototable.js";
import { BASELINES_SCRIPT, readFileChecked, writeFileAtomic } from "./files.js";

/** One photo at one σ as the script prints it ("noisy": its own score of the noisy input, for checking ours). */
export type BaselineEntry = Record<Baseline, Score> & { noisy?: Score; noisy_sha256: string };
/** The script's output, and a cache file's content: {name: {σ: entry}}. */
export type BaselineFile = Record<string, Record<string, BaselineEntry>>;

/** SHA-256 (hex) of an image's 8-bit pixels ([0, 1] samples on the 1/255 grid), row-major, one byte each. */
export function pixelsSha256(x: Float32Array): string {
  const bytes = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.round(x[i] * 255)));
  return createHash("sha256").update(bytes).digest("hex");
}

const isObject = (o: unknown): o is Record<string, unknown> => !!o && typeof o === "object" && !Array.isArray(o);
const isScore = (s: unknown) => isObject(s) && Number.isFinite(s.psnr) && Number.isFinite(s.ssim);

/** Parses the script's output or a cache file, checking its shape (one-line errors naming `file`). */
export function parseBaselines(text: string, file: string): BaselineFile {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    fileError(file, `not JSON (${(e as Error).message})`);
  }
  if (!isObject(o)) fileError(file, "expected {name: {σ: {nl-means, tv, wavelet, noisy_sha256}}}");
  for (const [name, bySigma] of Object.entries(o)) {
    if (!isObject(bySigma)) fileError(file, `${name}: expected {σ: {nl-means, tv, wavelet, noisy_sha256}}`);
    for (const [s, e] of Object.entries(bySigma)) {
      if (!isObject(e) || !BASELINES.every((b) => isScore(e[b])) || !/^[0-9a-f]{64}$/.test(String(e.noisy_sha256))) {
        fileError(file, `${name} σ ${s}: expected {nl-means, tv, wavelet: {psnr, ssim}, noisy_sha256: 64 hex digits}`);
      }
    }
  }
  return o as BaselineFile;
}

/** A cache file's entries; none when the file does not exist. */
export function readBaselineCache(path: string): BaselineFile {
  return existsSync(path) ? parseBaselines(readFileChecked(path).toString("utf8"), path) : {};
}

/** Merges entries into a cache file (replacing those of the same name and σ), written atomically in name and σ order. */
export function writeBaselineCache(path: string, add: BaselineFile): void {
  const all = readBaselineCache(path);
  for (const [name, bySigma] of Object.entries(add)) all[name] = { ...all[name], ...bySigma };
  const sorted = Object.fromEntries(
    Object.keys(all)
      .sort()
      .map((n) => [
        n,
        Object.fromEntries(
          Object.keys(all[n])
            .sort((a, b) => Number(a) - Number(b))
            .map((s) => [s, all[n][s]]),
        ),
      ]),
  );
  writeFileAtomic(path, JSON.stringify(sorted, null, 1) + "\n");
}

/** A Python that can run the script (/usr/bin/python3, else python3 on PATH, importing scikit-image, numpy and PIL), or undefined. */
export function findPython(): string | undefined {
  if (!existsSync(BASELINES_SCRIPT)) return undefined;
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", "import skimage.restoration, skimage.metrics, numpy, PIL"], {
      stdio: "ignore",
      timeout: 120_000,
    });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** Runs the script on a folder of <name>_clean.png and <name>_s<σ>_noisy.png files (its progress on stderr unless quiet). */
export function runBaselineScript(python: string, dir: string, jobs: number, quiet: boolean): BaselineFile {
  const r = spawnSync(python, [BASELINES_SCRIPT, dir, "--jobs", String(jobs), ...(quiet ? ["--quiet"] : [])], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", quiet ? "pipe" : "inherit"],
    maxBuffer: 256 * 2 ** 20,
  });
  if (r.status !== 0) {
    const last = (r.stderr ?? "").trim().split("\n").pop();
    throw new UserError(
      `${BASELINES_SCRIPT} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}${last ? `: ${last}` : ""})`,
    );
  }
  return parseBaselines(r.stdout, BASELINES_SCRIPT);
}
