#!/usr/bin/env node
// The `denoise-wasm` command: a committed file (builds delete and rewrite dist/, which would drop
// an execute bit set there), running the CLI compiled into dist/host/cli/main.js.
import { main } from "../dist/host/cli/main.js";

process.exitCode = await main(process.argv);
