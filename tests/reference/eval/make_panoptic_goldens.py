#!/usr/bin/env python3
"""Regenerates tests/data/eval/panoptic_goldens.json: panoptic cases and what X-SAM's own pq_compute
(xsam/xsam/evaluation/utils/pq.py on branch AAAI26_Archive, panopticapi's definition) says about them.

pq.py is imported from an extracted X-SAM checkout, outside this project; the two helpers it takes
from panopticapi (rgb2id, get_traceback) and `tabulate` (used only for printing) are small stand-ins
written here. Needs Debian's python3-numpy and python3-pil.

    git -C XSAM_GIT archive AAAI26_Archive xsam/xsam/evaluation/utils | tar -x -C /tmp/xsam
    /usr/bin/python3 tests/reference/eval/make_panoptic_goldens.py --xsam /tmp/xsam \
        --out tests/data/eval/panoptic_goldens.json
"""
import argparse
import contextlib
import importlib.util
import io
import json
import os
import random
import sys
import tempfile
import types

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mask_standin  # noqa: E402  (RLE strings for the golden file)


def install_standins():
    """panopticapi.utils (rgb2id, get_traceback) and tabulate, as pq.py imports them."""
    utils = types.ModuleType("panopticapi.utils")

    def rgb2id(color):
        color = color.astype(np.int32)
        return color[:, :, 0] + 256 * color[:, :, 1] + 256 * 256 * color[:, :, 2]

    def get_traceback(f):
        return f

    utils.rgb2id, utils.get_traceback = rgb2id, get_traceback
    pkg = types.ModuleType("panopticapi")
    pkg.utils = utils
    sys.modules["panopticapi"], sys.modules["panopticapi.utils"] = pkg, utils
    tab = types.ModuleType("tabulate")
    tab.tabulate = lambda *a, **k: ""
    sys.modules["tabulate"] = tab


def load_pq(xsam_dir):
    path = os.path.join(xsam_dir, "xsam", "xsam", "evaluation", "utils", "pq.py")
    if not os.path.isfile(path):
        sys.exit("no xsam/xsam/evaluation/utils/pq.py under %s" % xsam_dir)
    install_standins()
    spec = importlib.util.spec_from_file_location("xsam_pq", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["xsam_pq"] = mod  # its worker processes find pq_compute_single_core by module name
    spec.loader.exec_module(mod)
    return mod.pq_compute


def id2rgb(ids):
    out = np.zeros(ids.shape + (3,), dtype=np.uint8)
    v = ids.copy()
    for c in range(3):
        out[:, :, c] = v % 256
        v //= 256
    return out


# ------------------------------------------------------------------------------------ shapes
def rect(h, w, x0, y0, x1, y1):
    m = np.zeros((h, w), dtype=bool)
    m[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = True
    return m


def blob(rng, h, w, size):
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    rx, ry = size * rng.uniform(0.6, 1.5), size * rng.uniform(0.6, 1.5)
    return (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2) <= 1.0


def shifted(m, dx, dy):
    return np.roll(np.roll(m, dy, axis=0), dx, axis=1)


class Image_:
    """One image: label maps built by painting segments in order (later on top)."""

    def __init__(self, w, h):
        self.w, self.h = w, h
        self.gt = np.zeros((h, w), dtype=np.int64)
        self.pred = np.zeros((h, w), dtype=np.int64)
        self.gt_info, self.pred_info = {}, {}

    def add_gt(self, mask, cat, crowd=0):
        sid = len(self.gt_info) + 1
        self.gt[mask] = sid
        self.gt_info[sid] = {"category_id": cat, "iscrowd": crowd}

    def add_pred(self, mask, cat):
        sid = len(self.pred_info) + 1
        self.pred[mask] = sid
        self.pred_info[sid] = {"category_id": cat}


# ------------------------------------------------------------------------------------ cases
CATEGORIES = [{"id": 1, "name": "cat", "isthing": 1}, {"id": 2, "name": "dog", "isthing": 1},
              {"id": 5, "name": "grass", "isthing": 0}, {"id": 7, "name": "sky", "isthing": 0}]


def case_basic(rng):
    im = Image_(120, 80)
    im.add_gt(rect(80, 120, 0, 0, 120, 30), 7)
    im.add_gt(rect(80, 120, 10, 40, 40, 70), 1)
    im.add_gt(rect(80, 120, 50, 40, 80, 70), 2)
    im.add_gt(rect(80, 120, 90, 40, 110, 60), 1)  # missed: a false negative
    im.add_pred(rect(80, 120, 0, 0, 120, 28), 7)
    im.add_pred(rect(80, 120, 12, 40, 40, 72), 1)
    im.add_pred(rect(80, 120, 50, 40, 80, 70), 1)  # right place, wrong category
    im.add_pred(rect(80, 120, 85, 65, 118, 79), 5)  # on void: ignored
    return "basic", "matches, a miss, a wrong category, a prediction on void", [im]


def case_void(rng):
    im = Image_(100, 60)
    im.add_gt(rect(60, 100, 0, 0, 100, 20), 5)
    im.add_gt(rect(60, 100, 10, 30, 40, 50), 1)
    im.add_pred(rect(60, 100, 0, 0, 100, 26), 5)  # spills onto void: IoU leaves the spill out
    im.add_pred(rect(60, 100, 10, 30, 40, 58), 1)
    im.add_pred(rect(60, 100, 50, 28, 90, 60), 2)  # mostly void, a little on grass? no: all void
    im.add_pred(rect(60, 100, 60, 10, 80, 40), 7)  # half on grass, half void: a false positive
    return "void", "IoU leaves out the prediction's void pixels; predictions mostly on void are ignored", [im]


def case_crowd(rng):
    a = Image_(100, 70)
    a.add_gt(rect(70, 100, 0, 50, 100, 70), 5)
    a.add_gt(rect(70, 100, 5, 5, 60, 45), 1, crowd=1)
    a.add_gt(rect(70, 100, 65, 5, 95, 45), 1)
    a.add_pred(rect(70, 100, 10, 10, 30, 40), 1)  # inside the crowd: ignored
    a.add_pred(rect(70, 100, 35, 10, 55, 40), 2)  # inside the crowd, other category: false positive
    a.add_pred(rect(70, 100, 65, 5, 95, 45), 1)
    a.add_pred(rect(70, 100, 0, 52, 100, 70), 5)
    b = Image_(90, 60)
    b.add_gt(rect(60, 90, 0, 0, 90, 20), 7)
    b.add_gt(rect(60, 90, 0, 25, 40, 60), 2, crowd=1)
    b.add_gt(rect(60, 90, 45, 25, 90, 60), 2, crowd=1)  # a second crowd of the same category: the last counts
    b.add_pred(rect(60, 90, 5, 30, 35, 55), 2)   # inside the first crowd: not ignored
    b.add_pred(rect(60, 90, 50, 30, 85, 55), 2)  # inside the second: ignored
    b.add_pred(rect(60, 90, 0, 0, 90, 21), 7)
    return "crowd", "crowd regions ignore predictions of their category (only the last crowd per category)", [a, b]


def case_exact(rng):
    im = Image_(100, 40)
    im.add_gt(rect(40, 100, 0, 0, 20, 10), 1)    # 200 px
    im.add_pred(rect(40, 100, 0, 0, 20, 5), 1)   # IoU 100/200 = 0.5: not a match
    im.add_gt(rect(40, 100, 30, 0, 50, 10), 2)
    im.add_pred(rect(40, 100, 30, 0, 50, 6), 2)  # IoU 0.6: a match
    im.add_gt(rect(40, 100, 0, 20, 100, 30), 5)
    im.add_pred(rect(40, 100, 0, 20, 100, 40), 5)  # half on void: IoU without the void = 1
    im.add_pred(rect(40, 100, 60, 0, 80, 20), 7)  # exactly half on void (10 rows of 20): a false positive
    im.add_gt(rect(40, 100, 60, 0, 80, 10), 1)
    return "exact", "IoU exactly 0.5 does not match; a prediction exactly half on void is a false positive", [im]


def case_random(rng):
    images = []
    for _ in range(6):
        w, h = rng.randint(60, 160), rng.randint(50, 120)
        im = Image_(w, h)
        stuff = rect(h, w, 0, 0, w, rng.randint(5, h // 2))
        im.add_gt(stuff, rng.choice((5, 7)))
        truths = []
        for _ in range(rng.randint(1, 5)):
            m = blob(rng, h, w, rng.choice((4, 8, 15)))
            cat = rng.choice((1, 2))
            crowd = 1 if rng.random() < 0.15 else 0
            im.add_gt(m, cat, crowd)
            truths.append((m, cat))
        im.add_pred(shifted(stuff, 0, rng.randint(-3, 3)), im.gt_info[1]["category_id"])
        for m, cat in truths:
            if rng.random() < 0.8:
                im.add_pred(shifted(m, rng.randint(-4, 4), rng.randint(-4, 4)), cat if rng.random() < 0.85 else 3 - cat)
        for _ in range(rng.randint(0, 2)):
            im.add_pred(blob(rng, h, w, 6), rng.choice((1, 2, 5, 7)))
        images.append(im)
    return "random", "six random images", images


CASES = [case_basic, case_void, case_crowd, case_exact, case_random]


def present(label_map, info):
    """The segments that kept pixels after painting, with their areas."""
    ids, counts = np.unique(label_map, return_counts=True)
    area = dict(zip(ids.tolist(), counts.tolist()))
    return {sid: dict(inf, area=area[sid]) for sid, inf in info.items() if area.get(sid, 0) > 0}


def rle(mask):
    r = mask_standin.encode(np.asfortranarray(mask.astype(np.uint8)[:, :, None]))[0]
    return {"size": r["size"], "counts": r["counts"].decode("ascii")}


def run_case(pq_compute, make, rng):
    name, what, images = make(rng)
    tmp = tempfile.mkdtemp(prefix="xs-pq-")
    gt_dir, pred_dir = os.path.join(tmp, "gt"), os.path.join(tmp, "pred")
    os.makedirs(gt_dir)
    os.makedirs(pred_dir)
    gt_json = {"images": [], "annotations": [], "categories": CATEGORIES}
    pred_json = {"annotations": []}
    golden_images = []
    for iid, im in enumerate(images, start=1):
        fname = "%04d.png" % iid
        gt_segs, pred_segs = present(im.gt, im.gt_info), present(im.pred, im.pred_info)
        Image.fromarray(id2rgb(im.gt)).save(os.path.join(gt_dir, fname))
        Image.fromarray(id2rgb(im.pred)).save(os.path.join(pred_dir, fname))
        gt_json["images"].append({"id": iid, "file_name": fname, "width": im.w, "height": im.h})
        gt_json["annotations"].append({"image_id": iid, "file_name": fname, "segments_info": [
            {"id": sid, "category_id": s["category_id"], "iscrowd": s["iscrowd"], "area": s["area"]}
            for sid, s in gt_segs.items()]})
        pred_json["annotations"].append({"image_id": iid, "file_name": fname, "segments_info": [
            {"id": sid, "category_id": s["category_id"]} for sid, s in pred_segs.items()]})
        golden_images.append({
            "width": im.w, "height": im.h,
            "ground_truth": [dict(rle(im.gt == sid), category_id=s["category_id"], iscrowd=s["iscrowd"])
                             for sid, s in gt_segs.items()],
            "predictions": [dict(rle(im.pred == sid), category_id=s["category_id"]) for sid, s in pred_segs.items()],
        })
    gt_path, pred_path = os.path.join(tmp, "gt.json"), os.path.join(tmp, "pred.json")
    with open(gt_path, "w") as f:
        json.dump(gt_json, f)
    with open(pred_path, "w") as f:
        json.dump(pred_json, f)
    with contextlib.redirect_stdout(io.StringIO()):
        res = pq_compute(gt_path, pred_path, gt_folder=gt_dir, pred_folder=pred_dir)
    pick = lambda r: {k: float(r[k]) for k in ("pq", "sq", "rq")} | {"n": int(r["n"])}
    return {
        "name": name, "what": what,
        "categories": CATEGORIES,
        "images": golden_images,
        "all": pick(res["All"]), "things": pick(res["Things"]), "stuff": pick(res["Stuff"]),
        "per_category": {str(k): {kk: float(v[kk]) for kk in ("pq", "sq", "rq")} for k, v in res["per_class"].items()},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xsam", required=True, help="an extracted X-SAM checkout (AAAI26_Archive) holding xsam/xsam/")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    pq_compute = load_pq(args.xsam)
    rng = random.Random(7)
    cases = [run_case(pq_compute, make, rng) for make in CASES]
    with open(args.out, "w") as f:
        json.dump({"about": "Panoptic cases and X-SAM's pq_compute results for them; made by "
                            "tests/reference/eval/make_panoptic_goldens.py", "cases": cases}, f, indent=1)
        f.write("\n")
    for c in cases:
        print("%-8s PQ %.6f SQ %.6f RQ %.6f n %d | things %.6f | stuff %.6f" % (
            c["name"], c["all"]["pq"], c["all"]["sq"], c["all"]["rq"], c["all"]["n"], c["things"]["pq"], c["stuff"]["pq"]))


if __name__ == "__main__":
    main()
