#!/usr/bin/env python3
"""Regenerates tests/data/eval/coco_eval_goldens.json: mask-AP cases and what pycocotools' COCOeval
itself says about them (iouType "segm", default parameters).

COCOeval runs from a local checkout of github.com/cocodataset/cocoapi (its PythonAPI/pycocotools
Python files, never copied into this project) with mask_standin.py in place of the C extension
`_mask`, which cannot be built here. Debian's python3-numpy is enough.

    git -C COCOAPI_GIT archive HEAD PythonAPI | tar -x -C /tmp/cocoapi     # outside the project tree
    /usr/bin/python3 tests/reference/eval/make_coco_eval_goldens.py --cocoapi /tmp/cocoapi \
        --out tests/data/eval/coco_eval_goldens.json

The cases are drawn from a fixed seed; each exercises one COCOeval rule (see CASES below).
"""
import argparse
import contextlib
import io
import json
import os
import random
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load_cocoeval(cocoapi_dir):
    """Imports COCO and COCOeval from the checkout, with the stand-in as pycocotools._mask."""
    src = os.path.join(cocoapi_dir, "PythonAPI", "pycocotools")
    if not os.path.isfile(os.path.join(src, "cocoeval.py")):
        sys.exit("no PythonAPI/pycocotools/cocoeval.py under %s" % cocoapi_dir)
    pkg_root = tempfile.mkdtemp(prefix="xs-pycocotools-")
    pkg = os.path.join(pkg_root, "pycocotools")
    os.makedirs(pkg)
    for name in ("__init__.py", "coco.py", "cocoeval.py", "mask.py"):
        shutil.copy(os.path.join(src, name), pkg)
    shutil.copy(os.path.join(HERE, "mask_standin.py"), os.path.join(pkg, "_mask.py"))
    sys.path.insert(0, pkg_root)
    if not hasattr(np, "float"):
        np.float = float  # cocoeval.py of this checkout still names the alias numpy 1.24 removed
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    import pycocotools.mask as mask_utils
    return COCO, COCOeval, mask_utils


# ------------------------------------------------------------------------------------ shapes
def rect(h, w, x0, y0, x1, y1):
    m = np.zeros((h, w), dtype=np.uint8)
    m[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = 1
    return m


def ellipse(h, w, cx, cy, rx, ry):
    yy, xx = np.mgrid[0:h, 0:w]
    return ((((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2) <= 1.0).astype(np.uint8)


def shift(m, dx, dy):
    out = np.zeros_like(m)
    h, w = m.shape
    ys, xs = np.nonzero(m)
    ys2, xs2 = ys + dy, xs + dx
    keep = (ys2 >= 0) & (ys2 < h) & (xs2 >= 0) & (xs2 < w)
    out[ys2[keep], xs2[keep]] = 1
    return out


def random_blob(rng, h, w, size):
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    if rng.random() < 0.5:
        return ellipse(h, w, cx, cy, size * rng.uniform(0.6, 1.4), size * rng.uniform(0.6, 1.4))
    rw, rh = int(size * rng.uniform(0.8, 2.0)), int(size * rng.uniform(0.8, 2.0))
    x0, y0 = int(cx - rw / 2), int(cy - rh / 2)
    return rect(h, w, x0, y0, x0 + rw, y0 + rh)


def noisy_copy(rng, m):
    """A detection near a ground-truth mask: shifted, grown or cut."""
    kind = rng.random()
    if kind < 0.4:
        return shift(m, rng.randint(-6, 6), rng.randint(-6, 6))
    if kind < 0.7:
        return np.maximum(m, shift(m, rng.randint(-4, 4), rng.randint(-4, 4)))
    return m * (1 - shift(m, rng.randint(-8, 8), rng.randint(-8, 8)))


# ------------------------------------------------------------------------------------ cases
class Case:
    def __init__(self, name, what):
        self.name, self.what = name, what
        self.images, self.categories, self.gt, self.dt = [], [], [], []
        self.rle = None

    def image(self, iid, w, h):
        self.images.append({"id": iid, "width": w, "height": h})
        return h, w

    def add_gt(self, iid, cat, m, iscrowd=0, area=None):
        self.gt.append({"id": len(self.gt) + 1, "image_id": iid, "category_id": cat, "mask": m,
                        "iscrowd": iscrowd, "area": int(m.sum()) if area is None else area})

    def add_dt(self, iid, cat, m, score):
        self.dt.append({"image_id": iid, "category_id": cat, "mask": m, "score": score})


def case_perfect(rng):
    c = Case("perfect", "every object found exactly once: AP 1 where there is ground truth")
    c.categories = [1, 2]
    for iid in (1, 2, 3):
        h, w = c.image(iid, 120, 90)
        for k in range(2):
            m = random_blob(rng, h, w, 15)
            c.add_gt(iid, 1 + k, m)
            c.add_dt(iid, 1 + k, m, round(rng.uniform(0.5, 1.0), 3))
    return c


def case_noisy(rng):
    c = Case("noisy", "shifted, grown and cut detections of small, medium and large objects, plus false positives")
    c.categories = [1, 2, 3]
    for iid in range(1, 6):
        h, w = c.image(iid, 220, 170)
        for size in (4, 20, 60):
            cat = rng.choice(c.categories)
            m = random_blob(rng, h, w, size)
            if m.sum() == 0:
                continue
            c.add_gt(iid, cat, m)
            for _ in range(rng.randint(0, 2)):
                c.add_dt(iid, cat, noisy_copy(rng, m), round(rng.random(), 4))
        for _ in range(3):
            c.add_dt(iid, rng.choice(c.categories), random_blob(rng, h, w, rng.choice((5, 25))), round(rng.random(), 4))
    return c


def case_crowd(rng):
    c = Case("crowd", "crowd regions: detections inside them are neither true nor false positives")
    c.categories = [1, 2]
    for iid in (1, 2):
        h, w = c.image(iid, 160, 120)
        crowd = rect(h, w, 10, 10, 90, 70)
        c.add_gt(iid, 1, crowd, iscrowd=1)
        c.add_gt(iid, 1, rect(h, w, 100, 20, 140, 60))
        c.add_gt(iid, 2, ellipse(h, w, 120, 95, 18, 12))
        for k in range(4):  # inside the crowd
            c.add_dt(iid, 1, rect(h, w, 12 + 18 * k, 15, 28 + 18 * k, 40), round(0.3 + 0.15 * k, 3))
        c.add_dt(iid, 1, rect(h, w, 60, 40, 110, 80), 0.95)  # half in the crowd
        c.add_dt(iid, 1, rect(h, w, 101, 21, 140, 60), 0.5)
        c.add_dt(iid, 2, ellipse(h, w, 122, 96, 17, 12), 0.7)
        c.add_dt(iid, 2, rect(h, w, 20, 20, 60, 60), 0.9)  # a false positive of the other category
    return c


def case_ties(rng):
    c = Case("ties", "equal scores within and across images: ties keep image-id order, then the given order")
    c.categories = [1]
    for iid in (3, 1, 2):  # images listed out of order on purpose
        h, w = c.image(iid, 100, 80)
        a = rect(h, w, 10, 10, 40, 40)
        b = rect(h, w, 55, 20, 90, 60)
        c.add_gt(iid, 1, a)
        c.add_gt(iid, 1, b)
        c.add_dt(iid, 1, rect(h, w, 60, 60, 80, 78), 0.5)  # false positive first
        c.add_dt(iid, 1, a, 0.5)
        c.add_dt(iid, 1, shift(b, 3 * iid, 0), 0.5)
    return c


def case_many(rng):
    c = Case("many", "130 detections on one image: only the 100 best count, and 1 and 10 for AR1 / AR10")
    c.categories = [1, 2]
    h, w = c.image(1, 200, 150)
    objs = []
    for k in range(20):
        m = rect(h, w, (k % 5) * 40 + 2, (k // 5) * 37 + 2, (k % 5) * 40 + 34, (k // 5) * 37 + 32)
        cat = 1 + k % 2
        c.add_gt(1, cat, m)
        objs.append((cat, m))
    for k in range(130):
        cat, m = objs[k % 20]
        c.add_dt(1, cat, noisy_copy(rng, m), round(rng.random(), 3))
    h, w = c.image(2, 200, 150)
    c.add_gt(2, 1, rect(h, w, 20, 20, 80, 80))
    c.add_dt(2, 1, rect(h, w, 22, 20, 80, 80), 0.01)
    return c


def case_area_field(rng):
    c = Case("area_field", "the area ranges read the annotation's area field, not the mask's pixel count")
    c.categories = [1]
    h, w = c.image(1, 200, 150)
    small = rect(h, w, 10, 10, 30, 30)  # 400 px
    big = rect(h, w, 40, 10, 160, 120)  # 13200 px
    c.add_gt(1, 1, small, area=20000.0)  # says large
    c.add_gt(1, 1, big, area=500)        # says small
    c.add_gt(1, 1, rect(h, w, 170, 10, 200, 60), area=1500.5)
    c.add_dt(1, 1, small, 0.9)
    c.add_dt(1, 1, shift(big, 4, 2), 0.8)
    c.add_dt(1, 1, rect(h, w, 0, 130, 120, 150), 0.7)   # unmatched, 2400 px: medium
    c.add_dt(1, 1, rect(h, w, 170, 130, 180, 140), 0.6)  # unmatched, 100 px: small
    return c


def case_thresholds(rng):
    c = Case("thresholds", "IoU exactly at thresholds (0.50, 0.55, 0.75, 0.95): a match needs IoU >= threshold")
    c.categories = [1]
    h, w = c.image(1, 200, 100)
    for k, covered in enumerate((100, 110, 150, 190, 149, 189)):
        x0 = 5 + k * 32
        gt = rect(h, w, x0, 10, x0 + 20, 20)  # 200 px
        dt = gt.copy().reshape(-1)
        idx = np.nonzero(dt)[0]
        dt[idx[covered:]] = 0
        c.add_gt(1, 1, gt)
        c.add_dt(1, 1, dt.reshape(h, w), round(0.9 - 0.1 * k, 2))
    return c


def case_equal_iou(rng):
    c = Case("equal_iou", "a detection with equal IoU to two ground-truth instances takes the later one")
    c.categories = [1]
    h, w = c.image(1, 100, 60)
    c.add_gt(1, 1, rect(h, w, 10, 10, 30, 30))
    c.add_gt(1, 1, rect(h, w, 30, 10, 50, 30))
    c.add_dt(1, 1, rect(h, w, 20, 10, 40, 30), 0.9)  # IoU 1/3 with both
    c.add_dt(1, 1, rect(h, w, 10, 10, 30, 30), 0.8)
    c.add_gt(1, 1, rect(h, w, 60, 10, 90, 50))
    c.add_dt(1, 1, rect(h, w, 60, 10, 90, 50), 0.85)
    return c


def case_empty(rng):
    c = Case("empty", "empty detection masks and an empty ground-truth mask, images without ground truth")
    c.categories = [1, 2]
    h, w = c.image(1, 80, 60)
    z = np.zeros((h, w), dtype=np.uint8)
    c.add_gt(1, 1, rect(h, w, 10, 10, 40, 40))
    c.add_gt(1, 2, z)
    c.add_dt(1, 1, z, 0.99)
    c.add_dt(1, 1, rect(h, w, 12, 10, 40, 40), 0.8)
    c.add_dt(1, 2, z, 0.7)
    h, w = c.image(2, 80, 60)  # no ground truth at all
    c.add_dt(2, 1, rect(h, w, 5, 5, 25, 25), 0.95)
    return c


def case_categories(rng):
    c = Case("categories", "categories with ground truth and no detections, detections and no ground truth, neither")
    c.categories = [1, 2, 3, 7]
    h, w = c.image(1, 120, 90)
    c.add_gt(1, 1, rect(h, w, 10, 10, 50, 50))
    c.add_gt(1, 2, rect(h, w, 60, 10, 100, 50))
    c.add_dt(1, 1, rect(h, w, 12, 12, 50, 50), 0.8)
    c.add_dt(1, 3, rect(h, w, 60, 10, 100, 50), 0.9)
    h, w = c.image(2, 120, 90)
    c.add_gt(2, 2, ellipse(h, w, 60, 45, 30, 20))
    c.add_dt(2, 2, ellipse(h, w, 62, 45, 30, 20), 0.4)
    return c


def case_random(rng):
    c = Case("random", "12 images, 4 categories, everything drawn at random")
    c.categories = [1, 2, 4, 9]
    for iid in range(1, 13):
        h, w = c.image(iid, rng.randint(90, 240), rng.randint(70, 180))
        for _ in range(rng.randint(0, 6)):
            cat = rng.choice(c.categories)
            m = random_blob(rng, h, w, rng.choice((3, 8, 20, 45, 70)))
            if m.sum() == 0:
                continue
            crowd = 1 if rng.random() < 0.1 else 0
            c.add_gt(iid, cat, m, iscrowd=crowd)
            for _ in range(rng.randint(0, 3)):
                c.add_dt(iid, cat if rng.random() < 0.85 else rng.choice(c.categories), noisy_copy(rng, m),
                         round(rng.random(), 2))
        for _ in range(rng.randint(0, 4)):
            c.add_dt(iid, rng.choice(c.categories), random_blob(rng, h, w, rng.choice((4, 15, 40))), round(rng.random(), 2))
    return c


CASES = [case_perfect, case_noisy, case_crowd, case_ties, case_many, case_area_field, case_thresholds,
         case_equal_iou, case_empty, case_categories, case_random]


# ------------------------------------------------------------------------------------ run COCOeval
def run_case(case, COCO, COCOeval, mask_utils):
    enc = lambda m: mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    gt_anns = []
    for g in case.gt:
        r = enc(g["mask"])
        gt_anns.append({"id": g["id"], "image_id": g["image_id"], "category_id": g["category_id"],
                        "segmentation": {"size": r["size"], "counts": r["counts"].decode("ascii")},
                        "area": g["area"], "iscrowd": g["iscrowd"], "bbox": [0, 0, 0, 0]})
    results = []
    for d in case.dt:
        r = enc(d["mask"])
        results.append({"image_id": d["image_id"], "category_id": d["category_id"],
                        "segmentation": {"size": r["size"], "counts": r["counts"].decode("ascii")},
                        "score": d["score"]})
    gt = COCO()
    gt.dataset = {"images": case.images, "annotations": [dict(a) for a in gt_anns],
                  "categories": [{"id": k, "name": "c%d" % k} for k in case.categories]}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        dt = gt.loadRes([dict(r) for r in results])
        ev = COCOeval(gt, dt, "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    precision = ev.eval["precision"]  # [T, R, K, A, M]
    per_cat = {}
    for k, cat in enumerate(ev.params.catIds):
        p = precision[:, :, k, 0, -1]
        p = p[p > -1]
        if p.size:
            per_cat[str(cat)] = float(np.mean(p))
    return {
        "name": case.name,
        "what": case.what,
        "images": case.images,
        "categories": case.categories,
        "ground_truth": [{k: a[k] for k in ("id", "image_id", "category_id", "area", "iscrowd")} |
                         {"size": a["segmentation"]["size"], "counts": a["segmentation"]["counts"]} for a in gt_anns],
        "detections": [{k: r[k] for k in ("image_id", "category_id", "score")} |
                       {"size": r["segmentation"]["size"], "counts": r["segmentation"]["counts"]} for r in results],
        "stats": [float(x) for x in ev.stats],
        "ap_per_category": per_cat,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cocoapi", required=True, help="an extracted cocoapi checkout (holding PythonAPI/)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    COCO, COCOeval, mask_utils = load_cocoeval(args.cocoapi)
    rng = random.Random(20240516)
    cases = [run_case(make(rng), COCO, COCOeval, mask_utils) for make in CASES]
    doc = {
        "about": "Mask AP cases and pycocotools COCOeval's stats for them (iouType segm, default parameters); "
                 "made by tests/reference/eval/make_coco_eval_goldens.py",
        "stat_names": ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"],
        "cases": cases,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    for c in cases:
        print("%-12s AP %.6f AP50 %.6f AR100 %.6f  (%d gt, %d dt)" % (c["name"], c["stats"][0], c["stats"][1],
                                                                      c["stats"][8], len(c["ground_truth"]),
                                                                      len(c["detections"])))


if __name__ == "__main__":
    main()
