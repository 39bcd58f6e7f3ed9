#!/usr/bin/env python3
"""Regenerates tests/data/eval/mask_prompt_goldens.json: the "mask" visual prompt of X-SAM's data
(generate_mask_vprompt in xsam/xsam/dataset/utils/vprompt.py, branch AAAI26_Archive: a Gaussian blur
of sigma 2 kept above its mean; the only prompt there without randomness) for a few ground-truth
masks, computed by that function itself, plus the blurred values of one small mask.

vprompt.py is imported from an extracted X-SAM checkout outside this project; it imports
skimage.draw.line for its scribbles, which this machine lacks and generate_mask_vprompt does not use,
so an empty stand-in module takes its place. Needs Debian's python3-numpy and python3-scipy.

    git -C XSAM_GIT archive AAAI26_Archive xsam/xsam/dataset/utils/vprompt.py | tar -x -C /tmp/xsam
    /usr/bin/python3 tests/reference/eval/make_prompt_goldens.py --xsam /tmp/xsam \
        --stamps ../shared/data/stamps-bench/instances.json --out tests/data/eval/mask_prompt_goldens.json
"""
import argparse
import importlib.util
import json
import os
import sys
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mask_standin  # noqa: E402


def load_vprompt(xsam_dir):
    path = os.path.join(xsam_dir, "xsam", "xsam", "dataset", "utils", "vprompt.py")
    if not os.path.isfile(path):
        sys.exit("no xsam/xsam/dataset/utils/vprompt.py under %s" % xsam_dir)
    skimage = types.ModuleType("skimage")
    draw = types.ModuleType("skimage.draw")
    draw.line = None  # used by the scribble generator only
    skimage.draw = draw
    sys.modules["skimage"], sys.modules["skimage.draw"] = skimage, draw
    spec = importlib.util.spec_from_file_location("xsam_vprompt", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rle(mask):
    r = mask_standin.encode(np.asfortranarray(mask.astype(np.uint8)[:, :, None]))[0]
    return {"size": r["size"], "counts": r["counts"].decode("ascii")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xsam", required=True)
    ap.add_argument("--stamps", required=True, help="stamps-bench instances.json")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    vp = load_vprompt(args.xsam)
    from scipy.ndimage import gaussian_filter

    cases = []
    # A small synthetic mask near the border (the reflected border matters) with a hole.
    small = np.zeros((23, 31), dtype=np.uint8)
    small[0:9, 2:14] = 1
    small[12:23, 20:31] = 1
    small[15:19, 24:27] = 0
    small[4, 25] = 1
    blurred = gaussian_filter(small.astype(float), sigma=2)
    cases.append({"name": "synthetic", "mask": rle(small), "prompt": rle(vp.generate_mask_vprompt(small)),
                  "blurred": [float(v) for v in blurred.reshape(-1)]})
    with open(args.stamps) as f:
        stamps = json.load(f)
    for ann in stamps["annotations"][:6]:
        m = mask_standin.decode([ann["segmentation"]])[:, :, 0]
        cases.append({"name": "stamps-bench annotation %d" % ann["id"], "mask": rle(m),
                      "prompt": rle(vp.generate_mask_vprompt(m))})
    with open(args.out, "w") as f:
        json.dump({"about": "X-SAM's generate_mask_vprompt on a few masks; made by "
                            "tests/reference/eval/make_prompt_goldens.py", "cases": cases}, f, indent=1)
        f.write("\n")
    print("%d cases" % len(cases))


if __name__ == "__main__":
    main()
