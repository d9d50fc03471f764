#!/usr/bin/python3
"""Copies the project's photos out of Debian packages (no download): data/photos/train, test and real.

    apt-get install python3-skimage python3-matplotlib xplanet-images \
        lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds plasma-workspace-wallpapers \
        lxqt-themes palapeli-data python3-sklearn tuxpaint-data sddm-theme-maldives gcompris-qt-data
    /usr/bin/python3 data/photos/make.py

Files keep the pixels their packages ship (PNG stays PNG; JPEG files are copied byte for byte;
arrays are written as PNG), except the desktop wallpapers of train/debian/: those are 1.3–25 MP JPEGs,
so they are shrunk (Lanczos, PIL) to at most 1280 px on the long side and written as PNG, which also
averages away their JPEG blocks and sensor noise (the model learns from them as clean targets). The same
goes for the photographs of train/debian/*/ (wallpapers of lxqt-themes and sddm-theme-maldives, puzzles of
palapeli-data, scikit-learn's sample images, Tux Paint's templates, and GCompris' photos, which are WebP
files inside its Qt resource bundles, read by rcc_files below); those already at most 1280 px keep their
size (PNG of the decoded pixels). They are not committed (about 200 MB); this script makes them, bit for bit
the same from the same packages.
SOURCES.md gives each image's origin and licence.
"""
import io, os, shutil, struct, sys, zlib
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

LXQT = "/usr/share/lxqt/wallpapers"
TUXPAINT = "/usr/share/tuxpaint/templates"
MORE = {  # train/debian/<folder>/: photographs from other packages (SOURCES.md: which, and their licences)
    "lxqt": [f"{LXQT}/{n}" for n in ("Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg",
                                      "appleflower.png", "butterfly.png", "cloud.png", "drop.png", "flowers.png",
                                      "fog.jpg", "this-is-not-windows.jpg")],
    "palapeli": [f"/usr/share/palapeli/collection/{n}.jpg" for n in (
        "castle-maintenon", "cincinnati-bridge", "citrus-fruits", "european-honey-bee", "panther-chameleon-female")],
    "sklearn": [f"/usr/lib/python3/dist-packages/sklearn/datasets/images/{n}.jpg" for n in ("china", "flower")],
    "tuxpaint": [f"{TUXPAINT}/{n}.jpg" for n in (  # not jellyfish (dark, noisy) nor mossy_bark (black band)
        "burnt_bark", "cliff", "corn_maze", "lighthouse", "mossy_log", "mudstone", "ocean_splash", "ocean_waves",
        "redwoods_above", "rocks", "sheep", "spiders_web", "sun_behind_clouds", "sun_behind_leaves", "trees_above",
        "trees_at_dusk", "wool_mill_machine")],
    "sddm": ["/usr/share/sddm/themes/maldives/background.jpg"],
}
for folder, srcs in MORE.items():
    for src in srcs:
        stem = os.path.splitext(os.path.basename(src))[0]
        name = "maldives" if folder == "sddm" else stem
        TRAIN[f"debian/{folder}/{name}.png"] = lambda p, src=src: shrunk(src, p)

def rcc_files(path):
    """{path: bytes} of a Qt resource bundle (.rcc, format 1–3; zlib-compressed entries inflated)."""
    b = open(path, "rb").read()
    assert b[:4] == b"qres", path
    version, tree, data, names = struct.unpack(">IIII", b[4:20])
    size = 22 if version >= 2 else 14
    def name(off):
        n, = struct.unpack(">H", b[names + off:names + off + 2])
        return b[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")
    out, todo = {}, [(0, "")]
    while todo:
        i, prefix = todo.pop()
        o = tree + i * size
        name_off, flags = struct.unpack(">IH", b[o:o + 6])
        path_i = prefix + (name(name_off) if i else "")
        if flags & 2:  # directory: child count, first child
            count, first = struct.unpack(">II", b[o + 6:o + 14])
            todo += [(j, path_i + "/") for j in range(first, first + count)]
        else:
            off, = struct.unpack(">I", b[o + 10:o + 14])
            n, = struct.unpack(">I", b[data + off:data + off + 4])
            blob = b[data + off + 4:data + off + 4 + n]
            out[path_i] = zlib.decompress(blob[4:]) if flags & 1 else blob
    return out

GCOMPRIS = "/usr/share/gcompris-qt/rcc"
GC = {  # activity: photos under its resource/ (the WebP files of at least ~0.4 bit per pixel; not drawings,
        # paintings, the black-and-white castleClinton, the night and concert-hall shots of world music, nor
        # aulaPalatina, which its README does not credit)
    "erase": ("alpaca butterfly calf camels caterpillar chamaeleon cheetah crab dolphin flying_fox gibbon giraffe "
              "goat gorilla gosling heron horse kingfisher kitten long_nosed_monkey macaque meerkats "
              "northern_harrier nubian_ibex penguin pika red_panda rhinoceros spoonbills squirrel swans toucan"),
    "clickgame": "sea2 sea3 sea4 sea5 sea6",
    "explore_farm_animals": "animals/chicken animals/cow animals/dog animals/horse animals/pig animals/sheep",
    "explore_world_animals": " ".join("animals/" + n for n in (
        "bison chameleon crocodile dragon giraffe hedgehog jaguar kangaroo koala lemur moose narwhal "
        "polar_bear").split()),
    "explore_world_music": "music/africa music/america music/australia music/mexico",
    "explore_monuments": " ".join((
        "egypt/greatPyramidOfGiza france/arlesAmphitheater france/chateaudeChambord france/chateaudeChenonceau "
        "france/citedeCarcassonne france/eiffelTower france/palaisdesPapes france/pontduGard france/rocamadour "
        "germany/berlinCathedral germany/neuschwansteinCastle germany/schwerinPalace "
        "germany/trierImperialBaths germany/wormsCathedral india/ajantaCave india/charminar india/gatewayofIndia "
        "india/greatStupa india/hawaMahal india/konarkSunTemple india/mysorePalace india/qutubMinar "
        "india/rangGhar usa/canyondeChelly usa/castillodeSanMarcos usa/fortSumter "
        "usa/georgeWashingtonBirthplace usa/mountRushmore usa/navajo wonders/chichenItza "
        "wonders/christTheRedeemer wonders/colosseum wonders/greatWallofChina wonders/machuPicchu "
        "wonders/petra wonders/tajMahal").split()),
}
_rcc = {}
def gcompris_bytes(activity, item):
    """A file under an activity's resource/ in its bundle (each bundle read once)."""
    if activity not in _rcc:
        _rcc[activity] = rcc_files(f"{GCOMPRIS}/{activity}.rcc")
    return _rcc[activity][f"/gcompris/src/activities/{activity}/resource/{item}"]

def gcompris(activity, item, path):
    shrunk(io.BytesIO(gcompris_bytes(activity, f"{item}.webp")), path)

for activity, items in GC.items():
    for item in items.split():
        TRAIN[f"debian/gcompris/{activity}_{item.split('/')[-1]}.png"] = \
            lambda p, a=activity, i=item: gcompris(a, i, p)

def gcompris_file(activity, item, path):
    """The bundle's file itself, byte for byte."""
    with open(path, "wb") as f:
        f.write(gcompris_bytes(activity, item))

# Not for training: a photo with real noise (high ISO in a concert hall, left out of train/ for that), for
# the README's before / after figure (bench/figure.ts --real).
REAL = {"orchestra.webp": lambda p: gcompris_file("explore_world_music", "music/orchestra.webp", p)}

for sub, files in (("test", TEST), ("train", TRAIN), ("real", REAL)):
    for name, make in files.items():
        os.makedirs(os.path.dirname(os.path.join(HERE, sub, name)), exist_ok=True)
        make(os.path.join(HERE, sub, name))
        print(f"{sub}/{name}", file=sys.stderr)
