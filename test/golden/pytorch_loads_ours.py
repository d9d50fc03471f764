"""Proof that our weights files load into PyTorch: read data/seed-mixed.safetensors with a plain
safetensors reader, load it into the notebook's ConvAutoencoder (strict state-dict load, optimizer
tensors dropped), run the 8 golden noisy digits, and write PyTorch's output to
test/golden/default_pytorch_output.bin. test/io.test.ts checks our engine gives the same output.

Run: /usr/bin/python3 test/golden/pytorch_loads_ours.py   (Debian: python3-torch)
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


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


path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data", "seed-mixed.safetensors")
state, meta = load_safetensors(path)
model = ConvAutoencoder()
model.load_state_dict(state, strict=True)
noisy = torch.from_numpy(np.fromfile(os.path.join(HERE, "seed", "input_noisy.bin"), dtype="<f4").reshape(8, 1, 28, 28))
with torch.no_grad():
    out = model(noisy)
out.numpy().astype("<f4").tofile(os.path.join(HERE, "default_pytorch_output.bin"))
print("torch", torch.__version__, "loaded", path, "arch", meta.get("arch"), "output mean", float(out.mean()))
