"""Proof that our weights files load into PyTorch and compute what our engine computes.

For each shipped weights file, read it with a plain safetensors reader, build a PyTorch nn.Module
from the layer list in the file's `arch_json` metadata (the same list our engine builds from), load
the tensors with a strict state-dict load (optimizer tensors dropped), run the 8 golden noisy digits
(seed/input_noisy.bin, [8,1,28,28] f32 LE) and write PyTorch's output (raw f32 LE, [8,1,28,28]); a colour
model with a noise-level map runs the cunet golden input instead (cunet/input.bin, [2,4,16,16]: R, G, B
and the level map):

  data/seed-mixed.safetensors  (seed, the notebook's autoencoder) -> seed_mixed_pytorch_output.bin
  data/default.safetensors     (unet24, the shipped digit model)  -> default_pytorch_output.bin
  data/photo.safetensors       (cunet32, the shipped photo model) -> photo_pytorch_output.bin

test/io.test.ts and test/golden-default.test.ts check our engine gives the same outputs. For seed,
the notebook's own ConvAutoencoder is also loaded and must give exactly the generic module's output,
so the generic builder is itself checked against hand-written PyTorch.

Run (no arguments; regenerates the files): /usr/bin/python3 test/golden/pytorch_loads_ours.py
(Debian: apt-get install python3-torch python3-numpy)
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))
from arch_module import FromArch  # noqa: E402  (our arch_json as a PyTorch module, shared with the benchmark)


class ConvAutoencoder(nn.Module):  # the notebook's model, as shared/reference/pytorch/common.py
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 7))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 7), nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def load_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or name.startswith("optimizer."):
            continue
        assert info["dtype"] == "F32", info
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(info["shape"]).copy())
    return out, header.get("__metadata__", {})


digits = torch.from_numpy(np.fromfile(os.path.join(HERE, "seed", "input_noisy.bin"), dtype="<f4").reshape(8, 1, 28, 28))
colour = torch.from_numpy(np.fromfile(os.path.join(HERE, "cunet", "input.bin"), dtype="<f4").reshape(2, 4, 16, 16))
for weights, out_name in [("seed-mixed.safetensors", "seed_mixed_pytorch_output.bin"),
                          ("default.safetensors", "default_pytorch_output.bin"),
                          ("photo.safetensors", "photo_pytorch_output.bin")]:
    state, meta = load_safetensors(os.path.join(ROOT, "data", weights))
    arch = json.loads(meta["arch_json"])
    model = FromArch(arch).eval()
    noisy = colour if arch.get("noiseMap") else digits
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        out = model(noisy)
        if meta["arch"] == "seed":
            notebook = ConvAutoencoder().eval()
            notebook.load_state_dict(state, strict=True)
            assert torch.equal(notebook(noisy), out), "generic module differs from the notebook's"
    assert out.shape[2:] == noisy.shape[2:] and out.shape[1] == arch["input"][0] - (1 if arch.get("noiseMap") else 0)
    out.numpy().astype("<f4").tofile(os.path.join(HERE, out_name))
    print("torch", torch.__version__, "loaded data/" + weights, "arch", meta["arch"],
          "params", sum(p.numel() for p in model.parameters()), "->", out_name, "output mean", float(out.mean()))
