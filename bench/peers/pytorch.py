"""PyTorch peer for the throughput benchmark: one of our architectures (its JSON, as in a weights
file's `arch_json`) built as a PyTorch module (bench/peers/arch_module.py) on the CPU.

    /usr/bin/python3 bench/peers/pytorch.py --arch-json FILE --mode infer|train --batch N --threads T
        [--seconds S] [--warmup W] [--weights FILE.safetensors]

train = zero_grad + forward + MSE + backward + Adam(lr 1e-3).step; infer = torch.no_grad() forward.
--weights: the parameters of a weights file of ours (else PyTorch's default init).
Random input (uniform clean images, + 0.5 * N(0, 1) noise), one fixed batch reused every iteration.
Warm-up first, then iterations until --seconds have passed (at least one).

Prints exactly one JSON line on stdout:
  {"peer":"pytorch","version":torch.__version__,"mode":..,"batch":N,"threads":T,
   "imagesPerSecond":x,"msPerIteration":y,"iterations":k, ...}
or {"peer":"pytorch","unsupported":"python3-torch not installed"} (exit 0) when torch is missing.

OPENBLAS_NUM_THREADS is set to 1 (unless the caller set it) before torch is imported: Debian's
torch links OpenBLAS, whose own thread pool otherwise oversubscribes the cores next to torch's
OpenMP threads (2-thread training collapsed ~8x under load in ../shared/reference runs).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def parse_args():
    p = argparse.ArgumentParser(description="PyTorch peer: seed autoencoder throughput")
    p.add_argument("--arch-json", required=True, help="architecture JSON file (host/core/arch.ts format)")
    p.add_argument("--mode", choices=("infer", "train"), required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--warmup", type=int, default=3, help="minimum warm-up iterations (default 3)")
    p.add_argument("--weights", help="a .safetensors file of ours: its tensors by their PyTorch names")
    a = p.parse_args()
    if a.batch < 1 or a.threads < 1 or a.seconds < 0 or a.warmup < 0:
        p.error("--batch and --threads must be >= 1, --seconds and --warmup >= 0")
    return a


def blas_loaded():
    """Which BLAS the process mapped: Debian's torch uses whatever libblas.so.3 points at, and the
    reference BLAS (package libblas3) makes it ~3x slower than OpenBLAS (libopenblas0-pthread)."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return "unknown"
    return "openblas" if "openblas" in maps else "reference" if "/blas/libblas" in maps else "unknown"


def load_safetensors(torch, path):
    """A .safetensors file's F32 tensors by name (the format: u64 header length, JSON header, data)."""
    import struct
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {t['dtype']}, not F32")
        a, b = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(t["shape"])
    return out


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main():
    a = parse_args()
    try:
        import torch
        import torch.nn as nn
    except ImportError:
        emit({"peer": "pytorch", "mode": a.mode, "batch": a.batch, "threads": a.threads,
              "unsupported": "python3-torch not installed"})
        return 0

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from arch_module import FromArch
    with open(a.arch_json) as f:
        arch = json.load(f)

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = FromArch(arch)
    if a.weights:
        # Only the parameters (a training checkpoint's Adam state, if any, is left out).
        tensors = load_safetensors(torch, a.weights)
        model.load_state_dict({k: v for k, v in tensors.items() if k in model.state_dict()}, strict=True)
    clean = torch.rand(a.batch, *arch["input"])
    noisy = clean + 0.5 * torch.randn_like(clean)
    # A network with a noise-level map takes one plane more than it gives back: the target is the image's planes.
    clean = clean[:, :arch["input"][0] - 1] if arch.get("noiseMap") else clean

    if a.mode == "train":
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.MSELoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(noisy), clean)
            loss.backward()
            opt.step()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(noisy)

    # Warm-up: at least one iteration, then until --warmup iterations and min(0.5 s, --seconds / 4)
    # have both passed, but never once warm-up has taken --seconds.
    budget = a.seconds
    warm_s = min(0.5, a.seconds / 4)
    w0 = time.perf_counter()
    step()
    warmup = 1
    el = time.perf_counter() - w0
    while (warmup < a.warmup or el < warm_s) and el < budget:
        step()
        warmup += 1
        el = time.perf_counter() - w0

    # Timed: iterations until --seconds have passed, at least one.
    iterations = 0
    t0 = time.perf_counter()
    while True:
        step()
        iterations += 1
        t = time.perf_counter()
        if t - t0 >= a.seconds:
            break
    elapsed = t - t0

    emit({
        "peer": "pytorch",
        "version": torch.__version__,
        "arch": arch["name"],
        "mode": a.mode,
        "batch": a.batch,
        "threads": torch.get_num_threads(),
        "threadsRequested": a.threads,
        "imagesPerSecond": a.batch * iterations / elapsed,
        "msPerIteration": elapsed * 1000 / iterations,
        "iterations": iterations,
        "warmup": warmup,
        "openblasThreads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "blas": blas_loaded(),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
