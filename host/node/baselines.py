#!/usr/bin/python3
"""Classical photo-denoising baselines for `denoise-wasm eval --images` (scikit-image 0.19, Debian's
python3-skimage; numpy, PIL). Reads a folder written by `eval --images ... --save DIR`:

    <name>_clean.png            the clean photo, 8-bit gray
    <name>_s<σ>_noisy.png       its noisy copy at σ (0–255 scale), 8-bit gray (eval's seeded noise)

and prints one JSON object on stdout:

    {name: {σ: {"nl-means": {psnr, ssim}, "tv": {psnr, ssim, weight}, "wavelet": {psnr, ssim},
                "noisy": {psnr, ssim}, "noisy_sha256": hex}}}

The methods are the protocol's (../shared/reference/photos/PROTOCOL.md), on x = noisy/255, s = σ/255:
non-local means denoise_nl_means(x, h=0.8·s, sigma=s, fast_mode=False, patch_size=7,
patch_distance=11); TV denoise_tv_chambolle(x, weight) with weight 0.05 / 0.08 / 0.15 at σ 15 / 25 / 50
(other σ: see tv_weight); wavelet denoise_wavelet(x, sigma=s, method="BayesShrink", mode="soft",
rescale_sigma=True). Each result is rounded (half up, as eval's Math.round) and clipped to 8 bits,
then scored against the clean photo: PSNR = peak_signal_noise_ratio(clean, out8, data_range=255)
(100 dB for an exact result, as eval's psnr8, since JSON has no infinity), SSIM =
structural_similarity(clean, out8, data_range=255) with its defaults (7×7 uniform window, sample
covariance, mean over the window centres 3 pixels in from the border). eval's own SSIM is the
project's implementation (host/core/metrics.ts) of the same definition on [0, 1] with data_range 1,
which is the same number; "noisy" gives both programs' scores of the noisy input, and eval checks
they agree. "noisy_sha256" is the SHA-256 of the noisy PNG's decoded 8-bit pixels (row-major, one
byte each): eval uses a cached entry only when its own noisy pixels hash the same.

    /usr/bin/python3 host/node/baselines.py DIR [--jobs 1|2] [--quiet]
"""
import argparse, hashlib, json, os, re, sys, time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per job: the machine may be busy
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, denoise_wavelet

NOISY = re.compile(r"^(.+)_s([0-9]+(?:\.[0-9]+)?)_noisy\.png$")
TV_POINTS = [(15, 0.05), (25, 0.08), (50, 0.15)]


def tv_weight(sigma):
    """The protocol's TV weight at σ 15 / 25 / 50; at any other σ linear in σ between those points,
    and beyond them the nearest segment's line continued (σ 5 → 0.02, 10 → 0.035, 35 → 0.108)."""
    (s0, w0), (s1, w1) = TV_POINTS[0:2] if sigma <= 25 else TV_POINTS[1:3]
    return w0 + (w1 - w0) * (sigma - s0) / (s1 - s0)


def gray8(path):
    im = Image.open(path)
    if im.mode != "L":
        sys.exit(f"{path}: expected an 8-bit gray PNG (as eval --save writes), got mode {im.mode}")
    return np.asarray(im, dtype=np.uint8)


def score(clean, out):
    """PSNR / SSIM of a float result in [0, 1]-ish, rounded half up and clipped to 8 bits."""
    out8 = np.clip(np.floor(out * 255 + 0.5), 0, 255).astype(np.uint8)
    psnr = 100.0 if np.array_equal(clean, out8) else float(peak_signal_noise_ratio(clean, out8, data_range=255))
    return {"psnr": psnr, "ssim": float(structural_similarity(clean, out8, data_range=255))}


def run(job):
    name, label, clean_path, noisy_path = job
    t0 = time.time()
    clean, noisy8 = gray8(clean_path), gray8(noisy_path)
    if clean.shape != noisy8.shape:
        sys.exit(f"{noisy_path}: {noisy8.shape} pixels, its clean photo has {clean.shape}")
    sigma = float(label)
    x, s, w = noisy8 / 255.0, sigma / 255.0, tv_weight(sigma)
    entry = {
        "nl-means": score(clean, denoise_nl_means(x, h=0.8 * s, sigma=s, fast_mode=False, patch_size=7, patch_distance=11)),
        "tv": {**score(clean, denoise_tv_chambolle(x, weight=w)), "weight": w},
        "wavelet": score(clean, denoise_wavelet(x, sigma=s, method="BayesShrink", mode="soft", rescale_sigma=True)),
        "noisy": score(clean, x),
        "noisy_sha256": hashlib.sha256(np.ascontiguousarray(noisy8).tobytes()).hexdigest(),
    }
    return name, label, entry, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="a folder written by denoise-wasm eval --images ... --save DIR")
    ap.add_argument("--jobs", type=int, choices=[1, 2], default=1, help="processes (at most 2)")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    a = ap.parse_args()
    try:
        files = sorted(os.listdir(a.dir))
    except OSError as e:
        sys.exit(f"{a.dir}: {e.strerror}")
    jobs = []
    for f in files:
        m = NOISY.match(f)
        if not m:
            continue
        name, label = m.group(1), m.group(2)
        clean = os.path.join(a.dir, f"{name}_clean.png")
        if not os.path.isfile(clean):
            sys.exit(f"{a.dir}: {f} has no {name}_clean.png")
        jobs.append((name, label, clean, os.path.join(a.dir, f)))
    if not jobs:
        sys.exit(f"{a.dir}: no <name>_s<σ>_noisy.png files")
    out = {}
    if a.jobs > 1:
        from multiprocessing import Pool
        pool = Pool(a.jobs)
        results = pool.imap(run, jobs)
    else:
        pool, results = None, map(run, jobs)
    for k, (name, label, entry, secs) in enumerate(results, 1):
        out.setdefault(name, {})[label] = entry
        if not a.quiet:
            print(f"baselines {k}/{len(jobs)}: {name} σ {label}: nl-means {entry['nl-means']['psnr']:.2f}, "
                  f"tv {entry['tv']['psnr']:.2f}, wavelet {entry['wavelet']['psnr']:.2f} dB ({secs:.1f} s)", file=sys.stderr)
    if pool:
        pool.close()
        pool.join()
    out = {n: {l: out[n][l] for l in sorted(out[n], key=float)} for n in sorted(out)}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
