"""Reference values for host/metrics.ts: PSNR, SSIM (scikit-image defaults) and the 3x3 median
filter (scipy.ndimage, mode 'reflect'), the protocol of shared/reference/pytorch/seed_ref.py.

Run: /usr/bin/python3 test/golden/make_metrics.py  (Debian: python3-skimage python3-scipy)
Writes test/golden/metrics.json; the tests only read that file.
"""
import json
import os

import numpy as np
import scipy.ndimage as ndi
import skimage
from skimage.metrics import structural_similarity

rng = np.random.default_rng(7)
cases = []
for (h, w) in [(28, 28), (28, 28), (9, 13), (7, 7)]:
    clean = rng.random((h, w)).astype(np.float32)
    clean[rng.random((h, w)) < 0.5] = 0  # digit-like: much black background
    noisy = (clean + 0.5 * rng.standard_normal((h, w))).astype(np.float32)  # unclipped, as the models see it
    out = np.clip(noisy, 0, 1)
    mse = max(float(((out.astype(np.float64) - clean) ** 2).mean()), 1e-10)
    med = ndi.median_filter(noisy, size=3)
    cases.append({
        "h": h, "w": w,
        "clean": clean.ravel().tolist(), "noisy": noisy.ravel().tolist(),
        "psnr": 10 * np.log10(1 / mse),
        "ssim": float(structural_similarity(clean.astype(np.float64), out.astype(np.float64), data_range=1.0)),
        "median3": med.ravel().tolist(),
    })
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.json")
with open(path, "w") as f:
    json.dump({"skimage": skimage.__version__, "cases": cases}, f)
print("wrote", path, [(c["psnr"], c["ssim"]) for c in cases])
