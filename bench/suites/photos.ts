// Photos: a synthetic 24-megapixel photo through the shipped photo model in tiles (bench/photo.ts),
// gray and colour, with the seconds, MP/s and the engine's wasm memory.
import type { BuildName } from "../../host/core/engine.js";
import { PHOTO_H, PHOTO_W, photoBench, type PhotoRun } from "../photo.js";
import type { Bench } from "./context.js";

/** The runs, or undefined when the shipped photo model is missing. */
export async function photoSection(bench: Bench, e2eBuild: BuildName): Promise<PhotoRun[] | undefined> {
  const { say } = bench;
  say(`## Photos: ${PHOTO_W}×${PHOTO_H} (24 MP) through the shipped photo model in tiles`);
  say();
  const photoRuns = await photoBench(e2eBuild, (t) => console.log(t));
  if (!photoRuns) say("data/photo.safetensors is missing: skipped.");
  else {
    say(
      `\`denoisePlanar\` (what \`denoise\` runs) on a synthetic photo, tile size "auto" within --max-memory 512 MiB for the engine's ` +
        `whole wasm memory, ${e2eBuild} build; colour = three planes (luma-chroma). One run each (tens of seconds).`,
    );
    say();
    say(`| photo | threads | seconds | MP/s | wasm memory (MiB) | tiles per plane |`);
    say(`|---|---|---|---|---|---|`);
    for (const r of photoRuns)
      say(
        `| ${r.planes === 1 ? "gray" : "colour"} | ${r.threads} | ${r.seconds.toFixed(1)} | ${r.mpPerSecond.toFixed(2)} | ${r.wasmMiB.toFixed(0)} | ${r.tiles} |`,
      );
  }
  say();
  return photoRuns;
}
