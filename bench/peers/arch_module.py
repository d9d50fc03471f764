"""Our architecture JSON (host/core/arch.ts, a weights file's `arch_json`) as a PyTorch module, with
our parameter names, so state dicts map 1:1. Shared by the PyTorch peer of the benchmark
(bench/peers/pytorch.py) and the golden script (test/golden/pytorch_loads_ours.py)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class FromArch(nn.Module):
    """Our architecture JSON (host/core/arch.ts) as a PyTorch module. A conv named "enc1.0" is stored at
    self.enc1["0"], so its parameters are enc1.0.weight / enc1.0.bias as in our files. A layer with
    an `id` saves its output; {"type": "add", "with": id} adds that saved output ("input": the
    network input; of a tensor with more channels, its first ones). For unet24 this is: 3x3 convs (padding 1, stride 2 going down), leaky ReLU 0.1,
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
            elif t == "add": x = x + saved[l["with"]][:, :x.shape[1]]  # the input's first C channels (a noise-level map follows them)
            elif t != "identity": raise ValueError(f"layer {i}: unknown type {t}")
            if "id" in l:
                saved[l["id"]] = x
        return x
