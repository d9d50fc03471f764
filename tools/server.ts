// `npm run web`: a small static server on 127.0.0.1 for the page. It serves the package's web/,
// dist/, build/ and data/ folders as they are (no bundler at run time), and the JPEG decoder's
// package (@jsquash/jpeg, wherever npm put it) at node_modules/@jsquash/jpeg/, where the library's
// decodeJpeg looks first, with application/wasm for
// the engine and the COOP/COEP headers that make the page cross-origin isolated (SharedArrayBuffer
// for threads). Port: --port N, else $PORT, else 8080 (0 = any free port).
import { createReadStream, statSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Server } from "node:http";
import { dirname, extname, join, normalize, sep } from "node:path";
import { PACKAGE_ROOT } from "../host/node/files.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".json": "application/json",
  ".map": "application/json",
  ".gz": "application/octet-stream",
  ".safetensors": "application/octet-stream",
};
const ROOTS = ["web", "dist", "build", "data", "docs"];
/** Packages the page loads, by the URL path they are served at: their folder on disk. */
const PACKAGES: Record<string, string> = {
  "node_modules/@jsquash/jpeg/": dirname(createRequire(import.meta.url).resolve("@jsquash/jpeg/package.json")),
};

export function startServer(port: number, host = "127.0.0.1"): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const rel = path === "/" ? "web/index.html" : normalize(path).replace(/^[/\\]+/, "");
    const pkg = Object.keys(PACKAGES).find((p) => rel.replaceAll("\\", "/").startsWith(p));
    const file = pkg ? join(PACKAGES[pkg], rel.slice(pkg.length)) : join(PACKAGE_ROOT, rel);
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-cache",
    };
    let ok =
      (!!pkg || ROOTS.some((r) => rel === r || rel.startsWith(r + sep) || rel.startsWith(r + "/"))) &&
      !rel.split(/[/\\]/).includes("..");
    try {
      ok = ok && statSync(file).isFile();
    } catch {
      ok = false;
    }
    if (!ok || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve({ server, url: `http://${host}:${typeof a === "object" && a ? a.port : port}/` });
    });
  });
}

function portFromArgs(): number {
  const i = process.argv.indexOf("--port");
  const raw = i >= 0 ? process.argv[i + 1] : (process.env.PORT ?? "8080");
  const n = Number(raw);
  if (!/^\d+$/.test(raw ?? "") || n > 65535) {
    process.stderr.write(`denoise-wasm web: bad port '${raw}' (an integer 0–65535)\n`);
    process.exit(1);
  }
  return n;
}

if (process.argv[1] && /server\.js$/.test(process.argv[1])) {
  startServer(portFromArgs()).then(
    ({ url }) => process.stdout.write(`denoise-wasm page: ${url}  (Ctrl-C stops)\n`),
    (e: Error) => {
      process.stderr.write(`denoise-wasm web: ${e.message}\n`);
      process.exit(1);
    },
  );
}
