"""Proof that our weights files load into PyTorch and compute what our engine computes.

For each shipped weights file, read it with a plain safetensors reader, build a PyTorch nn.Module
from the layer list in the file's `arch_json` metadata (the same list our engine builds from), load
the tensors with a strict state-dict load (optimizer tensors dropped), run the 8 golden noisy digits
(seed/input_noisy.bin, [8,1,28,28] f32 LE) and write PyTorch's output (raw f32 LE, [8,1,28,28]):

  data/seed-mixed.safetensors  (seed, the notebook's autoencoder) -> seed_mixed_pytorch_output.bin
  data/default.safetensors     (unet24, the shipped default)      -> default_pytorch_output.bin

test/io.test.ts and test/golden-default.test.ts check our engine gives the same outputs. For seed,
the notebook's own ConvAutoencoder is also loaded and must give exactly the generic module's output,
so the generic builder is itself checked against hand-written PyTorch.

Run (no arguments; regenerates both files): /usr/bin/python3 test/golden/pytorch_loads_ours.py
(Debian: apt-get install python3-torch python3-numpy)
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

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


class FromArch(nn.Module):
    """Our architecture JSON (host/arch.ts) as a PyTorch module. A conv named "enc1.0" is stored at
    self.enc1["0"], so its parameters are enc1.0.weight / enc1.0.bias as in our files. A layer with
    an `id` saves its output; {"type": "add", "with": id} adds that saved output ("input": the
    network input). For unet24 this is: 3x3 convs (padding 1, stride 2 going down), leaky ReLU 0.1,
    ConvTranspose2d(k3, s2, p1, output_padding 1) going up, additive skips, `+ input` at the end."""

    def __init__(self, arch):
        super().__init__()
        self.layers = arch["layers"]
        self.convs = {}  # layer index -> module (registered below under its dotted name)
        ch = arch["input"][0]
        for i, l in enumerate(self.layers):
            if l["type"] not in ("conv2d", "convTranspose2d"):
                continue
            kw = dict(stride=l.get("stride", 1), padding=l.get("padding", 0), bias=l.get("bias", True))
            if l["type"] == "conv2d":
                m = nn.Conv2d(ch, l["out"], l["kernel"], **kw)
            else:
                m = nn.ConvTranspose2d(ch, l["out"], l["kernel"], output_padding=l.get("outputPadding", 0), **kw)
            *path, last = l["name"].split(".")
            parent = self
            for p in path:
                if p not in parent._modules:
                    parent.add_module(p, nn.ModuleDict())
                parent = parent._modules[p]
            parent.add_module(last, m)
            self.convs[i] = m
            ch = l["out"]

    def forward(self, x):
        saved = {"input": x}
        for i, l in enumerate(self.layers):
            t = l["type"]
            if i in self.convs: x = self.convs[i](x)
            elif t == "relu": x = F.relu(x)
            elif t == "leakyRelu": x = F.leaky_relu(x, l.get("slope", 0.01))
            elif t == "sigmoid": x = torch.sigmoid(x)
            elif t == "add": x = x + saved[l["with"]]
            elif t != "identity": raise ValueError(f"layer {i}: unknown type {t}")
            if "id" in l:
                saved[l["id"]] = x
        return x


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


noisy = torch.from_numpy(np.fromfile(os.path.join(HERE, "seed", "input_noisy.bin"), dtype="<f4").reshape(8, 1, 28, 28))
for weights, out_name in [("seed-mixed.safetensors", "seed_mixed_pytorch_output.bin"),
                          ("default.safetensors", "default_pytorch_output.bin")]:
    state, meta = load_safetensors(os.path.join(ROOT, "data", weights))
    model = FromArch(json.loads(meta["arch_json"])).eval()
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        out = model(noisy)
        if meta["arch"] == "seed":
            notebook = ConvAutoencoder().eval()
            notebook.load_state_dict(state, strict=True)
            assert torch.equal(notebook(noisy), out), "generic module differs from the notebook's"
    assert out.shape == noisy.shape
    out.numpy().astype("<f4").tofile(os.path.join(HERE, out_name))
    print("torch", torch.__version__, "loaded data/" + weights, "arch", meta["arch"],
          "params", sum(p.numel() for p in model.parameters()), "->", out_name, "output mean", float(out.mean()))
