"""A pure-Python stand-in for pycocotools' C extension `_mask`, written for this project.

pycocotools' Python files (coco.py, cocoeval.py, mask.py) import `pycocotools._mask`, a Cython module
over maskApi.c that this machine cannot build. This module offers the functions those files call on
the segmentation path -- encode, decode, merge, area, toBbox, iou, frPyObjects (RLE objects only) --
with the same inputs and outputs, following the RLE rules of ../shared/design/coco.md:

  counts are run lengths over the mask in column-major order, starting with a run of zeros; the
  string form stores counts[i] - counts[i-2] from the fourth run on, 5 bits per character, least
  significant group first, 0x20 = "more follows", 0x10 = sign of the last group, each + 48.

IoU as maskApi's rleIou: intersection / union, or intersection / area(dt) against a crowd ground
truth, 0 where the intersection is empty, -1 where the sizes differ. Polygons and boxes are not
supported here (the golden cases use RLE only): they raise.
"""
import numpy as np


# ---------------------------------------------------------------- string <-> run lengths
def _counts_from_string(s):
    if isinstance(s, bytes):
        s = s.decode("ascii")
    counts = []
    p = 0
    while p < len(s):
        x = 0
        k = 0
        more = True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def _counts_to_string(counts):
    out = []
    for i, c in enumerate(counts):
        x = int(c)
        if i > 2:
            x -= int(counts[i - 2])
        more = True
        while more:
            c5 = x & 0x1F
            x >>= 5
            more = (x != -1) if (c5 & 0x10) else (x != 0)
            if more:
                c5 |= 0x20
            out.append(chr(c5 + 48))
    return "".join(out).encode("ascii")


def _to_runs(obj):
    """(h, w, counts) of an RLE object whose counts are a string/bytes or a list."""
    h, w = int(obj["size"][0]), int(obj["size"][1])
    counts = obj["counts"]
    if isinstance(counts, (str, bytes)):
        counts = _counts_from_string(counts)
    counts = [int(c) for c in counts]
    if sum(counts) != h * w:
        raise ValueError("RLE counts sum to %d, expected %d" % (sum(counts), h * w))
    return h, w, counts


def _from_runs(h, w, counts):
    return {"size": [h, w], "counts": _counts_to_string(counts)}


# ---------------------------------------------------------------- dense <-> runs
def _dense(h, w, counts):
    flat = np.zeros(h * w, dtype=np.uint8)
    pos = 0
    value = 0
    for c in counts:
        if value:
            flat[pos:pos + c] = 1
        pos += c
        value ^= 1
    return flat.reshape((w, h)).T  # column-major runs


def _runs_of(mask):
    flat = np.asarray(mask, dtype=np.uint8).T.reshape(-1)  # column-major
    counts = []
    value = 0
    run = 0
    for v in flat:
        if v != value:
            counts.append(run)
            run = 0
            value = v
        run += 1
    counts.append(run)
    return counts


# ---------------------------------------------------------------- the module's functions
def encode(masks):
    """masks: h x w x n uint8 (Fortran order) -> list of compressed RLE objects."""
    h, w, n = masks.shape
    return [_from_runs(h, w, _runs_of(masks[:, :, i])) for i in range(n)]


def decode(objs):
    runs = [_to_runs(o) for o in objs]
    h, w = runs[0][0], runs[0][1]
    out = np.zeros((h, w, len(runs)), dtype=np.uint8, order="F")
    for i, (hh, ww, counts) in enumerate(runs):
        out[:, :, i] = _dense(hh, ww, counts)
    return out


def merge(objs, intersect=0):
    runs = [_to_runs(o) for o in objs]
    h, w = runs[0][0], runs[0][1]
    acc = _dense(*runs[0]).astype(bool)
    for r in runs[1:]:
        m = _dense(*r).astype(bool)
        acc = (acc & m) if intersect else (acc | m)
    return _from_runs(h, w, _runs_of(acc.astype(np.uint8)))


def area(objs):
    return np.array([sum(c[1::2]) for _, _, c in (_to_runs(o) for o in objs)], dtype=np.uint32)


def toBbox(objs):
    boxes = []
    for o in objs:
        m = _dense(*_to_runs(o))
        ys, xs = np.nonzero(m)
        if len(xs) == 0:
            boxes.append([0.0, 0.0, 0.0, 0.0])
        else:
            boxes.append([float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1),
                          float(ys.max() - ys.min() + 1)])
    return np.array(boxes, dtype=np.double).reshape((len(objs), 4))


def iou(dt, gt, pyiscrowd):
    if len(dt) == 0 or len(gt) == 0:
        return []
    if not all(isinstance(o, dict) for o in list(dt) + list(gt)):
        raise Exception("this stand-in computes IoU of RLE objects only")
    crowd = [bool(c) for c in pyiscrowd]
    d_runs = [_to_runs(o) for o in dt]
    g_runs = [_to_runs(o) for o in gt]
    d_masks = [_dense(*r).astype(bool) for r in d_runs]
    g_masks = [_dense(*r).astype(bool) for r in g_runs]
    out = np.zeros((len(dt), len(gt)), dtype=np.double)
    for i, dm in enumerate(d_masks):
        for j, gm in enumerate(g_masks):
            if dm.shape != gm.shape:
                out[i, j] = -1
                continue
            inter = int(np.count_nonzero(dm & gm))
            if inter == 0:
                out[i, j] = 0.0
                continue
            union = int(np.count_nonzero(dm)) if crowd[j] else int(np.count_nonzero(dm | gm))
            out[i, j] = float(inter) / float(union)
    return out


def frPyObjects(pyobj, h, w):
    if isinstance(pyobj, dict) and "counts" in pyobj and "size" in pyobj:
        return _from_runs(*_to_runs(pyobj))
    if isinstance(pyobj, list) and pyobj and isinstance(pyobj[0], dict):
        return [_from_runs(*_to_runs(o)) for o in pyobj]
    raise Exception("this stand-in converts RLE objects only (no polygons or boxes)")
