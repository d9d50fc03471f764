#!/usr/bin/python3
"""Copies the project's photos out of Debian packages (no download): data/photos/train and test.

    apt-get install python3-skimage python3-matplotlib xplanet-images \
        lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds plasma-workspace-wallpapers
    /usr/bin/python3 data/photos/make.py

Files keep the pixels their packages ship (PNG stays PNG; JPEG files are copied byte for byte;
arrays are written as PNG), except the desktop wallpapers of train/debian/: those are 1.3–25 MP JPEGs,
so they are shrunk (Lanczos, PIL) to at most 1280 px on the long side and written as PNG, which also
averages away their JPEG blocks and sensor noise (the model learns from them as clean targets). They are
not committed (45 MB); this script makes them, bit for bit the same from the same packages.
SOURCES.md gives each image's origin and licence.
"""
import os, shutil, sys
import numpy as np
from PIL import Image
import skimage.data as sk
import scipy.misc

HERE = os.path.dirname(os.path.abspath(__file__))
SK = os.path.dirname(sk.__file__)

def png(arr, path):
    Image.fromarray(np.asarray(arr, dtype=np.uint8)).save(path, optimize=True)

def copy(src, path):
    shutil.copyfile(src, path)

TEST = {  # held out: never used in training; the evaluation set
    "camera.png": lambda p: png(sk.camera(), p),
    "astronaut.png": lambda p: png(sk.astronaut(), p),
    "coffee.png": lambda p: png(sk.coffee(), p),
    "chelsea.png": lambda p: png(sk.chelsea(), p),
    "coins.png": lambda p: png(sk.coins(), p),
    "rocket.jpg": lambda p: copy(os.path.join(SK, "rocket.jpg"), p),
    "ascent.png": lambda p: png(scipy.misc.ascent(), p),
}
TRAIN = {
    "face.png": lambda p: png(scipy.misc.face(), p),
    "grace_hopper.jpg": lambda p: copy("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg", p),
    "earth.jpg": lambda p: copy("/usr/share/xplanet/images/earth.jpg", p),
    "hubble_deep_field.jpg": lambda p: copy(os.path.join(SK, "hubble_deep_field.jpg"), p),
    "retina.jpg": lambda p: copy(os.path.join(SK, "retina.jpg"), p),
    "brick.png": lambda p: png(sk.brick(), p),
    "grass.png": lambda p: png(sk.grass(), p),
    "gravel.png": lambda p: png(sk.gravel(), p),
    "text.png": lambda p: png(sk.text(), p),
}

LOMIRI = "/usr/share/backgrounds"
MATE = "/usr/share/backgrounds/mate/nature"
PLASMA = "/usr/share/wallpapers/{}/contents/images/2560x1600.jpg"
DEBIAN = [  # desktop wallpapers that are photographs (the abstract and rendered ones are left out)
    *(f"{LOMIRI}/{n}_by_{a}.jpg" for n, a in (
        ("Bridge", "Sander_Klootwijk"), ("Dragonfly", "Bolly"), ("Picture_0B", "freespace"),
        ("Picture_1A", "freespace"), ("Wine", "Jakkub_Mede"), ("aitzgorri", "Aitzol_Berasategi"),
        ("free", "Peter_Nerlich"), ("friends", "Aitzol_Berasategi"), ("greentock", "Peter_Nerlich"),
        ("life", "Aitzol_Berasategi"), ("picosdeeuropa", "Aitzol_Berasategi"),
        ("seeding", "Clements_Engelhardt"), ("sunset", "Aitzol_Berasategi"), ("Kleiber", "Lukas_Baubkus"))),
    *(f"{MATE}/{n}.jpg" for n in ("Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow",
                                   "LadyBird", "RainDrops", "Storm", "TwoWings", "Wood", "YellowFlower")),
    *(PLASMA.format(n) for n in ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow",
                                  "FallenLeaf", "Grey", "Kite", "OneStandsOut", "Path", "summer_1am")),
]

def shrunk(src, path, long_side=1280):
    im = Image.open(src).convert("RGB")
    scale = min(1.0, long_side / max(im.size))
    if scale < 1.0:
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
    im.save(path, optimize=True)

for src in DEBIAN:
    name = (src.split("/")[-4] if "/contents/" in src else os.path.splitext(os.path.basename(src))[0]) + ".png"
    TRAIN["debian/" + name] = lambda p, src=src: shrunk(src, p)

for sub, files in (("test", TEST), ("train", TRAIN)):
    for name, make in files.items():
        os.makedirs(os.path.dirname(os.path.join(HERE, sub, name)), exist_ok=True)
        make(os.path.join(HERE, sub, name))
        print(f"{sub}/{name}", file=sys.stderr)
