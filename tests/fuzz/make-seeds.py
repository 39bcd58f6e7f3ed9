#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/ (committed; re-run only
to change it). Sources: the COCO benchmark ../shared/data/stamps-bench/instances.json (whole, and
each image's annotations as a small file), its RLE strings, project files built from it, the
safetensors files of tests/data (their headers, with the data section cut to a few bytes where the
file is large), torch.save checkpoints written by python3-torch (when installed), and for the
evaluation's readers a ground truth with visual prompts, refs files and, with --cli, result files of
`xsam-cli evaluate --out` (classic engine; the tiny random X-SAM model when the CLI has it).

  tests/fuzz/make-seeds.py [--shared DIR] [--cli build/app/xsam-cli]
"""
import argparse
import io
import json
import os
import shutil
import struct
import sys
import zlib

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))


def out(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def rle_string(counts):
    """pycocotools' rleToString."""
    s = []
    for i, x in enumerate(counts):
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            s.append(chr(c + 48))
    return "".join(s)


def rle_from_string(s):
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
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


def rle_seed(h, w, counts_str):
    return struct.pack("<hh", h, w) + counts_str.encode()


def eval_seeds(coco, shared, cli):
    """core/eval's readers: ground truth with the evaluation's fields, refs, evaluate --out results."""
    img = coco["images"][0]
    anns = [dict(a) for a in coco["annotations"] if a["image_id"] == img["id"]]
    h, w = img["height"], img["width"]
    anns[0]["visual_prompts"] = {"box_visual_prompt": {"size": [h, w], "counts": rle_string([h * 5 + 3, 4, h - 4, 4, h * w - h * 6 - 7])},
                                 "point_visual_prompt": None}
    anns[0]["phrase"] = "a brown bear"
    crowd = dict(anns[0], id=999, iscrowd=1, area=12.5)
    crowd.pop("visual_prompts")
    cats = sorted({a["category_id"] for a in anns})
    out("eval", "ground-truth.json", json.dumps({"images": [img], "annotations": anns + [crowd],
                                                 "categories": [c for c in coco["categories"] if c["id"] in cats]}))
    # Refs against the target's fixed ground truth (annotations 1 of image 1 and 5 of image 2).
    out("eval", "refs.json", json.dumps([
        {"ref_id": 1, "ann_id": 1, "image_id": 1, "split": "val", "category_id": 1,
         "sentences": [{"sent": "the cat", "tokens": ["the", "cat"]}, {"sent": "left animal"}]},
        {"ref_id": 2, "ann_id": 5, "image_id": 2, "split": "testA", "sentences": [{"sent": "dog"}]}]))
    if not cli:
        return
    import subprocess
    import tempfile
    bench = os.path.join(shared, "data", "stamps-bench")
    tmp = tempfile.mkdtemp(prefix="xs-seeds-")
    base = [cli, "evaluate", "--coco", os.path.join(bench, "instances.json"), "--images", os.path.join(bench, "images"),
            "--limit", "1", "--progress", "none"]
    runs = {"interactive": ["--task", "interactive", "--engine", "classic", "--max-clicks", "5", "--shard", "1/2"]}
    model = os.path.join(tmp, "tiny")
    if subprocess.run([cli, "init-random-weights", "--config", os.path.join(root, "models", "xsam-tiny.json"),
                       "--out", model, "--seed", "1"], capture_output=True).returncode == 0:
        tiny = ["--engine", "xsam", "--model", model, "--threads", "1"]
        runs.update({"generic": ["--task", "generic"] + tiny, "vgd": ["--task", "vgd", "--prompts", "box,mask"] + tiny,
                     "referring": ["--task", "referring"] + tiny, "gcg": ["--task", "gcg"] + tiny})
    for name, extra in runs.items():
        path = os.path.join(tmp, name + ".json")
        subprocess.run(base + extra + ["--out", path], check=True, capture_output=True)
        with open(path) as f:
            out("eval", "result-%s.json" % name, f.read())
    shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    ap.add_argument("--cli", help="xsam-cli, to write evaluation result seeds (kept as they are without it)")
    args = ap.parse_args()
    for t in ("rle", "coco", "project", "safetensors", "checkpoint", "pickle"):
        shutil.rmtree(os.path.join(here, "corpus", t), ignore_errors=True)

    bench = os.path.join(args.shared, "data", "stamps-bench", "instances.json")
    coco = json.load(open(bench))

    # --- rle: every benchmark string (distinct), plus hand-made edge cases.
    seen = set()
    for a in coco["annotations"]:
        seg = a["segmentation"]
        h, w = seg["size"]
        key = (h, w, seg["counts"])
        if key in seen:
            continue
        seen.add(key)
        if len(seen) <= 24:
            out("rle", "bench-%03d" % a["id"], rle_seed(h, w, seg["counts"]))
    out("rle", "empty-0x0", rle_seed(0, 0, ""))
    out("rle", "all-zero-4x5", rle_seed(4, 5, rle_string([20])))
    out("rle", "all-one-4x5", rle_seed(4, 5, rle_string([0, 20])))
    out("rle", "stripes-3x4", rle_seed(3, 4, rle_string([1, 2, 3, 1, 2, 3])))
    out("rle", "zero-runs-2x2", rle_seed(2, 2, rle_string([0, 0, 1, 0, 3])))
    out("rle", "big-run", rle_seed(1000, 1000, rle_string([500000, 1, 499999])))
    out("rle", "negative-delta", rle_seed(10, 10, rle_string([50, 30, 10, 10])))

    # --- coco: per image a small file with its annotations (a few only: real-size masks make every
    # execution slow, and the whole 48 KB benchmark file slowed fuzzing to a few runs per second).
    for img in coco["images"][:3]:
        anns = [a for a in coco["annotations"] if a["image_id"] == img["id"]]
        cats = sorted({a["category_id"] for a in anns})
        small = {"images": [img], "annotations": anns,
                 "categories": [c for c in coco["categories"] if c["id"] in cats]}
        out("coco", "image-%04d.json" % img["id"], json.dumps(small))
    # Hand-made: polygons, uncompressed RLE, crowd, bad ids, holes; a minimal document.
    poly = {"images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10}],
            "categories": [{"id": 1, "name": "box", "supercategory": "thing"}, {"id": 7, "name": "dot"}],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                 "segmentation": [[2, 2, 12, 2, 12, 8, 2, 8], [14, 1, 18, 1, 16, 5]],
                 "area": 66.0, "bbox": [2, 1, 16, 7]},
                {"id": 2, "image_id": 1, "category_id": 7, "iscrowd": 1,
                 "segmentation": {"size": [10, 20], "counts": [15, 5, 5, 5, 170]}, "area": 10, "bbox": [1, 5, 2, 5]},
                {"id": 3, "image_id": 1, "category_id": 1, "iscrowd": 0,
                 "segmentation": {"size": [10, 20], "counts": rle_string([33, 4, 6, 4, 153])}}]}
    out("coco", "polygons-rle.json", json.dumps(poly))
    out("coco", "minimal.json", json.dumps({"images": [], "annotations": [], "categories": []}))
    renum = json.loads(json.dumps(poly))
    renum["images"][0]["id"] = 0
    renum["annotations"][1]["id"] = 1
    out("coco", "renumbered-ids.json", json.dumps(renum))

    # --- project: built from the benchmark (RLE masks re-encoded from the same counts).
    def project_doc(images, anns, cats):
        doc = {"format": "xsam-studio-project", "version": 1, "image_root": "images",
               "next_ids": {"category": max([c["id"] for c in cats] + [0]) + 1,
                            "image": max([i["id"] for i in images] + [0]) + 1,
                            "instance": max([a["id"] for a in anns] + [0]) + 1},
               "categories": [{"id": c["id"], "name": c["name"],
                               "color": "#%02x%02x%02x" % ((c["id"] * 67) % 256, (c["id"] * 131) % 256, 90)}
                              for c in cats],
               "images": []}
        for img in images:
            insts = []
            for a in anns:
                if a["image_id"] != img["id"]:
                    continue
                seg = a["segmentation"]
                insts.append({"id": a["id"], "category_id": a["category_id"], "score": 1.0,
                              "source": "import:coco", "created_ms": 1767225600000 + a["id"],
                              "modified_ms": 1767225600000 + a["id"], "visible": a["id"] % 5 != 0,
                              "mask": {"size": seg["size"], "counts": seg["counts"]}})
            doc["images"].append({"id": img["id"], "file_name": img["file_name"], "width": img["width"],
                                  "height": img["height"], "instances": insts})
        return doc

    for img in coco["images"][:3]:
        anns = [a for a in coco["annotations"] if a["image_id"] == img["id"]]
        out("project", "image-%04d.xsproj.json" % img["id"], json.dumps(project_doc([img], anns, coco["categories"])))
    out("project", "empty.xsproj.json", json.dumps(project_doc([], [], [])))
    tiny = project_doc([{"id": 3, "file_name": "sub/x.png", "width": 4, "height": 3}],
                       [{"id": 9, "image_id": 3, "category_id": 2,
                         "segmentation": {"size": [3, 4], "counts": rle_string([1, 3, 2, 6])}}],
                       [{"id": 2, "name": "thing"}])
    out("project", "tiny.xsproj.json", json.dumps(tiny))

    # --- safetensors: the small test files whole; large ones with the data section cut (then the
    # header says "truncated", still a useful seed), plus hand-made ones.
    def st_file(entries, meta=None, data=b""):
        h = {}
        if meta:
            h["__metadata__"] = meta
        h.update(entries)
        hs = json.dumps(h, separators=(",", ":")).encode()
        hs += b" " * ((8 - (8 + len(hs)) % 8) % 8)
        return struct.pack("<Q", len(hs)) + hs + data

    data_dir = os.path.join(root, "tests", "data")
    for name in sorted(os.listdir(data_dir)):
        if not name.endswith(".safetensors"):
            continue
        raw = open(os.path.join(data_dir, name), "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        # Keep the header's structure but make the tensors tiny, so the file is whole and valid.
        ents, off = {}, 0
        meta = header.pop("__metadata__", None)
        for k, v in list(header.items())[:12]:
            size = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
                    "BOOL": 1}[v["dtype"]]
            shape = [min(d, 2) for d in v["shape"]]
            nb = size
            for d in shape:
                nb *= d
            ents[k] = {"dtype": v["dtype"], "shape": shape, "data_offsets": [off, off + nb]}
            off += nb
        out("safetensors", name.replace(".safetensors", "-small.safetensors"), st_file(ents, meta, bytes(off)))
    out("safetensors", "empty.safetensors", st_file({}))
    out("safetensors", "meta-only.safetensors", st_file({}, {"format": "pt", "source": "x"}))
    out("safetensors", "all-dtypes.safetensors", st_file(
        {"a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},
         "b": {"dtype": "BF16", "shape": [2, 1], "data_offsets": [8, 12]},
         "c": {"dtype": "BOOL", "shape": [], "data_offsets": [12, 13]},
         "d": {"dtype": "I64", "shape": [0, 3], "data_offsets": [13, 13]},
         "e": {"dtype": "U8", "shape": [3], "data_offsets": [13, 16]}}, {"format": "pt"}, bytes(16)))

    # --- pickle: plain Python values in every protocol (the structural check before LibTorch's
    # unpickler), and below the data.pkl of each checkpoint seed.
    import pickle
    shared = [1, 2]
    values = {"dict": {"a": 1, "b": [1.5, None, True], "c": ("x", b"yz")},
              "nested": [[[[(1,)]]]], "shared": [shared, shared, {"k": shared}],
              "big-int": 2 ** 100, "set": {1, 2, 3}, "frozen": frozenset({4}),
              "bytes": bytearray(b"abc"), "long-text": "t" * 300}
    for name, v in sorted(values.items()):
        for proto in range(0, 6):
            out("pickle", "%s-p%d.pkl" % (name, proto), pickle.dumps(v, protocol=proto))

    eval_seeds(coco, args.shared, args.cli)

    # --- checkpoint: torch.save files (zip + pickle), when python3-torch is there.
    try:
        import torch
    except ImportError:
        print("make-seeds: python3-torch missing, no checkpoint seeds", file=sys.stderr)
        return
    torch.manual_seed(0)

    def save(name, obj):
        buf = io.BytesIO()
        torch.save(obj, buf)
        out("checkpoint", name, buf.getvalue())
        import zipfile
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
            out("pickle", "torch-" + name.replace(".pt", ".pkl"), z.read(pkl))

    save("plain.pt", {"w": torch.randn(2, 3), "b": torch.zeros(3, dtype=torch.bfloat16),
                      "i": torch.arange(4, dtype=torch.int64)})
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    save("views.pt", {"t": base.t(), "row": base[1], "slice": base[:, 1:3], "scalar": torch.tensor(3.5)})
    save("nested.pt", {"state_dict": {"m.weight": torch.ones(2, 2, dtype=torch.float16)}, "epoch": 3, "note": "x"})
    save("not-dict.pt", [torch.zeros(1)])
    save("empty.pt", {})


if __name__ == "__main__":
    main()
