#!/usr/bin/python3
"""Builds cutout-bench, the classic engine's second benchmark set (see README.md beside this file).

Real photographs from Debian packages as backgrounds, real photographic cut-outs with alpha
(tuxpaint-stamps-default) pasted on them; the ground truth of each object is its resized alpha
(>= 128) minus what later objects cover. Objects and backgrounds are disjoint from stamps-bench's.
Deterministic: the same seed and the same package versions give the same bytes.

    /usr/bin/python3 make_cutout_bench.py --out DIR [--seed 2] [--images 40]

Writes DIR/images/NNNN.jpg and DIR/instances.json (COCO, uncompressed RLE). Needs python3-numpy,
python3-pil, python3-skimage, opencv-doc and tuxpaint-stamps-default.
"""
import argparse
import json
import os
import random
import subprocess
import sys

import numpy as np
from PIL import Image

SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"
OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"
STAMPS = "/usr/share/tuxpaint/stamps"
PACKAGES = ["python3-skimage", "opencv-doc", "tuxpaint-stamps-default", "python3-pil", "python3-numpy"]

# Colour and grey photographs that stamps-bench does not use (it uses astronaut, coffee, rocket,
# the Hubble deep field, building, graf, orange, messi5, board, leuvenA/B, aero1, starry_night).
BACKGROUNDS = [
    (SKIMAGE_DATA, "chelsea.png"), (SKIMAGE_DATA, "motorcycle_left.png"), (SKIMAGE_DATA, "grass.png"),
    (SKIMAGE_DATA, "gravel.png"), (SKIMAGE_DATA, "brick.png"),
    (OPENCV_DATA, "baboon.jpg"), (OPENCV_DATA, "fruits.jpg"), (OPENCV_DATA, "squirrel_cls.jpg"),
    (OPENCV_DATA, "apple.jpg"), (OPENCV_DATA, "butterfly.jpg"), (OPENCV_DATA, "smarties.png"),
    (OPENCV_DATA, "aloeL.jpg"), (OPENCV_DATA, "stuff.jpg"), (OPENCV_DATA, "home.jpg"),
    (OPENCV_DATA, "rubberwhale1.png"), (OPENCV_DATA, "ela_original.jpg"),
    (OPENCV_DATA, "licenseplate_motion.jpg"),
]

# The stamps stamps-bench uses (its annotations' attributes.stamp): never used here.
STAMPS_BENCH_STAMPS = {
    "7spoke256", "Lightbulb", "avocado", "basketball", "bear", "bee", "button", "cherimoya", "crow",
    "daffodil", "donkey_eating", "drake", "duck", "flower1", "flower3", "flower7", "helmeted_guineafowl",
    "holm_oak", "home_compost_bin", "indian_blackbuck", "lionfish", "mallet_metal", "mandarine", "mouse",
    "orca", "pig", "rabbit_little", "saw", "seagull", "sheep_lamb", "soccer", "t_pants", "t_tshirt",
    "tophat", "truck", "voyager2", "wapiti", "wheelie_bin", "wrench_plumbers", "ww2_german_gun",
    "yellow-flower", "zebra", "zebu",
}

# Drawings that pass the colour test below (found by looking at every stamp it accepts).
DRAWINGS = {"feathered_hat", "Santa", "bunny-egg", "bunny", "chick-hatched", "jackolantern_mean"}

# A stamp counts as a photographic cut-out when its opaque pixels hold at least this many colours
# (drawings hold a few hundred), it is large enough not to be blown up, and it is not a rectangle.
MIN_COLOURS = 3000
MIN_LONG_SIDE = 150
OPAQUE_FRACTION = (0.08, 0.95)

# Sizes as in stamps-bench: images 480-800 px wide; an object's bounding box's long side is
# 0.19-0.48 of the image's short side; 1, 2 or 3 objects per image.
IMAGE_WIDTH = (480, 800)
ASPECT = (1.2, 1.45)
OBJECT_SIDE = (0.19, 0.48)
OBJECT_COUNTS = [1] * 12 + [2] * 6 + [3] * 2
MIN_VISIBLE_FRACTION = 0.6  # an object later ones cover more than this is placed again
JPEG_QUALITY = 92


def photographic_stamps():
    found = []
    for folder, dirs, files in os.walk(STAMPS):
        dirs.sort()
        rel = os.path.relpath(folder, STAMPS)
        parts = rel.split(os.sep)
        if "cartoon" in parts or parts[0] in ("symbols", "cartoon"):
            continue
        for name in sorted(files):
            stem, ext = os.path.splitext(name)
            if ext != ".png" or stem in STAMPS_BENCH_STAMPS or stem in DRAWINGS:
                continue
            rgba = np.asarray(Image.open(os.path.join(folder, name)).convert("RGBA"))
            opaque = rgba[..., 3] >= 128
            if max(rgba.shape[:2]) < MIN_LONG_SIDE:
                continue
            if not OPAQUE_FRACTION[0] <= opaque.mean() <= OPAQUE_FRACTION[1]:
                continue
            colours = np.unique(rgba[..., :3][opaque].astype(np.int64) @ np.array([65536, 256, 1]))
            if len(colours) >= MIN_COLOURS:
                found.append(os.path.join(rel, name))
    return found


def background(rng, folder, name):
    photo = Image.open(os.path.join(folder, name)).convert("RGB")
    aspect = rng.uniform(*ASPECT)
    w, h = photo.size
    # The largest crop of this aspect, at a random place, scaled to a random width.
    cw, ch = (w, int(w / aspect)) if w / h < aspect else (int(h * aspect), h)
    x0, y0 = rng.randint(0, w - cw), rng.randint(0, h - ch)
    width = rng.randint(*IMAGE_WIDTH)
    return photo.crop((x0, y0, x0 + cw, y0 + ch)).resize((width, int(round(width / aspect))), Image.LANCZOS)


def place(rng, canvas_size, stamp_path):
    stamp = Image.open(os.path.join(STAMPS, stamp_path)).convert("RGBA")
    stamp = stamp.crop(stamp.getbbox())
    if rng.random() < 0.5:
        stamp = stamp.transpose(Image.FLIP_LEFT_RIGHT)
    W, H = canvas_size
    side = rng.uniform(*OBJECT_SIDE) * min(W, H)
    f = side / max(stamp.size)
    stamp = stamp.resize((max(1, round(stamp.size[0] * f)), max(1, round(stamp.size[1] * f))), Image.LANCZOS)
    x, y = rng.randint(0, W - stamp.size[0]), rng.randint(0, H - stamp.size[1])
    return stamp, x, y


def rle_counts(mask):
    """COCO's uncompressed RLE: run lengths of the column-major pixel order, starting with zeros."""
    flat = mask.flatten(order="F").astype(np.uint8)
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0] + counts
    return counts


def package_versions():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Version}\n"] + PACKAGES,
                         capture_output=True, text=True, check=False).stdout
    return sorted(line for line in out.splitlines() if line)


def compose(rng, bg_spec, stamps):
    canvas = background(rng, *bg_spec)
    W, H = canvas.size
    pixels = np.asarray(canvas).astype(np.float64)
    masks = []  # (stamp path, full-size bool mask) in paste order
    for stamp_path in stamps:
        for _attempt in range(20):
            stamp, x, y = place(rng, (W, H), stamp_path)
            mask = np.zeros((H, W), bool)
            mask[y:y + stamp.size[1], x:x + stamp.size[0]] = np.asarray(stamp)[..., 3] >= 128
            if all((m & ~mask).sum() >= MIN_VISIBLE_FRACTION * m.sum() for _, m in masks):
                break
        else:
            continue  # no place leaves the earlier objects visible enough: leave this one out
        rgba = np.asarray(stamp).astype(np.float64)
        alpha = rgba[..., 3:] / 255.0
        region = pixels[y:y + stamp.size[1], x:x + stamp.size[0]]
        region[:] = region * (1 - alpha) + rgba[..., :3] * alpha
        masks = [(p, m & ~mask) for p, m in masks] + [(stamp_path, mask)]
    image = Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8))
    return image, masks


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--images", type=int, default=40)
    args = ap.parse_args()
    for folder in (SKIMAGE_DATA, OPENCV_DATA, STAMPS):
        if not os.path.isdir(folder):
            sys.exit("make_cutout_bench: %s is missing (install %s)" % (folder, " ".join(PACKAGES)))

    rng = random.Random(args.seed)
    pool = photographic_stamps()
    rng.shuffle(pool)
    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    categories, images, annotations = {}, [], []
    for index in range(1, args.images + 1):
        count = rng.choice(OBJECT_COUNTS)
        if len(pool) < count:
            sys.exit("make_cutout_bench: only %d photographic stamps; ask for fewer images" % len(pool))
        stamps, pool = pool[:count], pool[count:]
        bg_spec = BACKGROUNDS[(index - 1) % len(BACKGROUNDS)]
        image, masks = compose(rng, bg_spec, stamps)
        file_name = "%04d.jpg" % index
        image.save(os.path.join(args.out, "images", file_name), quality=JPEG_QUALITY)
        images.append({"id": index, "file_name": file_name, "width": image.size[0], "height": image.size[1],
                       "license": 1, "attributes": {"background": bg_spec[1]}})
        for stamp_path, mask in masks:
            category = stamp_path.split(os.sep)[-2]
            cid = categories.setdefault(category, len(categories) + 1)
            ys, xs = np.nonzero(mask)
            annotations.append({
                "id": len(annotations) + 1, "image_id": index, "category_id": cid, "iscrowd": 0,
                "area": int(mask.sum()),
                "bbox": [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)],
                "segmentation": {"size": [mask.shape[0], mask.shape[1]], "counts": rle_counts(mask)},
                "attributes": {"stamp": os.path.splitext(os.path.basename(stamp_path))[0], "stamp_path": stamp_path},
            })
    coco = {
        "info": {"description": "cutout-bench: photographic cut-outs on photographs (X-SAM Studio)",
                 "generator": "tests/classic/cutout-bench/make_cutout_bench.py --seed %d --images %d" % (args.seed, args.images),
                 "packages": package_versions()},
        "licenses": [{"id": 1, "name": "backgrounds: python3-skimage (BSD-3-Clause data) and opencv-doc; "
                                       "objects: tuxpaint-stamps-default (GPL-2); see README.md"}],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": cid, "name": name} for name, cid in categories.items()],
    }
    with open(os.path.join(args.out, "instances.json"), "w") as f:
        json.dump(coco, f, indent=1)
    print("cutout-bench: %d images, %d instances, %d categories in %s"
          % (len(images), len(annotations), len(categories), args.out))


if __name__ == "__main__":
    main()
