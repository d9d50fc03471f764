"""PyTorch golden data for a colour U-Net with a noise-level map (host/core/arch.ts cunet), the ops it
adds to the engine's: an input of 4 channels (R, G, B, σ map), an output of 3, and the residual add of
the input's first 3 channels. cunet4 (4/8/16/32 channels) on 2 images of 16×16, PyTorch's default init
under torch.manual_seed(0):

  arch.json                 the architecture (written by our host: `node dist/tools/arch-json.js cunet4 > arch.json`)
  params/<name>.bin         initial weights
  input.bin [2,4,16,16]     noisy R, G, B (clean + 0.1·N(0,1)) and the map (0.1)
  target.bin [2,3,16,16]    clean R, G, B (smooth random fields in [0, 1])
  output.bin, loss.bin      forward and MSE
  grads/<name>.bin          backward
  adam1/<name>.bin          one Adam step (lr 1e-3)

Run: /usr/bin/python3 test/golden/cunet/make.py   (Debian: python3-torch python3-numpy)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))
from arch_module import FromArch  # noqa: E402

arch = json.load(open(os.path.join(HERE, "arch.json")))
torch.manual_seed(0)
model = FromArch(arch)
g = torch.Generator().manual_seed(1)
clean = F.interpolate(torch.rand(2, 3, 4, 4, generator=g), size=(16, 16), mode="bilinear", align_corners=False)
noisy = clean + 0.1 * torch.randn(2, 3, 16, 16, generator=g)
x = torch.cat([noisy, torch.full((2, 1, 16, 16), 0.1)], dim=1)


def save(t, *path):
    p = os.path.join(HERE, *path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    t.detach().numpy().astype("<f4").tofile(p)


names = [n for n, _ in model.named_parameters()]
for n, p in model.named_parameters():
    save(p, "params", n + ".bin")
save(x, "input.bin")
save(clean, "target.bin")
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
out = model(x)
loss = F.mse_loss(out, clean)
loss.backward()
save(out, "output.bin")
save(loss.reshape(1), "loss.bin")
for n, p in model.named_parameters():
    save(p.grad, "grads", n + ".bin")
opt.step()
for n, p in model.named_parameters():
    save(p, "adam1", n + ".bin")
json.dump({"params": names, "loss": float(loss)}, open(os.path.join(HERE, "manifest.json"), "w"), indent=1)
print("torch", torch.__version__, "cunet4 loss", float(loss), "params", sum(p.numel() for p in model.parameters()))
