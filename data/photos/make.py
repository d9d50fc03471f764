#!/usr/bin/python3
"""Copies the project's photos out of Debian packages (no download): data/photos/train and test.

    apt-get install python3-skimage python3-matplotlib xplanet-images   # then: /usr/bin/python3 data/photos/make.py

Files keep the pixels their packages ship (PNG stays PNG; JPEG files are copied byte for byte;
arrays are written as PNG). SOURCES.md gives each image's origin and licence.
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

for sub, files in (("test", TEST), ("train", TRAIN)):
    os.makedirs(os.path.join(HERE, sub), exist_ok=True)
    for name, make in files.items():
        make(os.path.join(HERE, sub, name))
        print(f"{sub}/{name}", file=sys.stderr)
