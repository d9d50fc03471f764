#!/usr/bin/env python3
"""Fits the per-image distribution of camera noise parameters (a, b) that assembly/camera.ts samples.

Source: darktable's measured noise profiles, /usr/share/darktable/noiseprofiles.json (Debian package
darktable 4.2.1-4; read without installing it:
    cd /tmp && apt-get download darktable && dpkg-deb -x darktable_*.deb dt
then run  python3 data/noise/fit_profiles.py /tmp/dt/usr/share/darktable/noiseprofiles.json).
The profile file itself is not committed; only this script and the numbers it prints (pasted into
assembly/camera.ts).

darktable's model: the variance of a pixel of linear raw value x (black level subtracted, scaled so
white is 1) is a*x + b (a: shot/Poisson gain, b: read noise variance), one (a, b) per channel R, G, B
for each camera and ISO. The profiles are measured after darktable's white balance, so a channel
with gain k has a = k*a_raw (R/G ratios of a are ~2.2, B/G ~1.8: the cameras' WB gains) -- darktable's
own denoiser uses the green channel's (a, b) and scales it by the WB coefficients. The green channel
(gain 1) is therefore the raw-space (a, b), which camera.ts applies to every CFA site before it
applies its own random white balance.

Fitted form (Brooks et al. 2019, "Unprocessing images for learned raw denoising"):
    log a ~ U[LOG_A_LO, LOG_A_HI]
    log b = M * log a + C + N(0, S^2)
with [LOG_A_LO, LOG_A_HI] the 10th..99.5th percentile of the green log a over all profiles, so the
uniform draw in log a weights the noisy (high ISO) end above its share of the profiles (half of the
draws fall above the profile median's ~3x), and the low-noise end is still covered. M, C, S come from
least squares over the profiles with b > 0 (about 14 % of the fitted b are <= 0: a read-noise term
below the fit's precision; they are left out of the regression).
"""

import json
import sys

import numpy as np

path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/dt/usr/share/darktable/noiseprofiles.json"
with open(path) as f:
    doc = json.load(f)

rows = []
for maker in doc["noiseprofiles"]:
    for model in maker["models"]:
        for p in model["profiles"]:
            rows.append((maker["maker"], model["model"], p["iso"], p["a"], p["b"]))
a = np.array([r[3] for r in rows], dtype=np.float64)
b = np.array([r[4] for r in rows], dtype=np.float64)
iso = np.array([r[2] for r in rows], dtype=np.float64)
cams = {(r[0], r[1]) for r in rows}
print(f"# {len(rows)} profiles, {len(cams)} cameras, ISO {iso.min():g}..{iso.max():g}")

G = 1  # green
ag, bg = a[:, G], b[:, G]
ok = ag > 0
la = np.log(ag[ok])
lo, hi = np.percentile(la, [10, 99.5])
print(f"# green a: percentiles 10/50/99.5 = {np.exp(lo):.4g} / {np.exp(np.median(la)):.4g} / {np.exp(hi):.4g}")

reg = ok & (bg > 0)
x, y = np.log(ag[reg]), np.log(bg[reg])
M, C = np.polyfit(x, y, 1)
S = float(np.std(y - (M * x + C), ddof=2))
print(f"# regression over {reg.sum()} profiles with a, b > 0")

# The channel ratios, for the record (they are the WB gains, see above).
for c, name in ((0, "R"), (2, "B")):
    r = a[:, c] / a[:, G]
    r = r[np.isfinite(r) & (r > 0)]
    print(f"# a_{name}/a_G percentiles 5/50/95: {np.percentile(r, [5, 50, 95]).round(3).tolist()}")

# How noisy the draws are: std in 8-bit sRGB levels at linear 0.18 (mid-grey) for a at lo, mid, hi.
for la_ in (lo, (lo + hi) / 2, hi):
    av = np.exp(la_)
    bv = np.exp(M * la_ + C)
    sd = np.sqrt(av * 0.18 + bv)
    slope = 1.055 / 2.4 * 0.18 ** (1 / 2.4 - 1)
    print(f"#   a={av:.3g} b={bv:.3g}: raw std at 0.18 = {sd:.4g}, ~{sd * slope * 255:.2f} sRGB levels (before demosaic)")

print(f"export const CAM_LOG_A_LO: f64 = {lo:.6f};")
print(f"export const CAM_LOG_A_HI: f64 = {hi:.6f};")
print(f"export const CAM_LOG_B_SLOPE: f64 = {M:.6f};")
print(f"export const CAM_LOG_B_OFFSET: f64 = {C:.6f};")
print(f"export const CAM_LOG_B_SIGMA: f64 = {S:.6f};")
