"""Goldens of X-SAM's own stages, computed by the official functions (branch AAAI26_Archive).

Run by make-goldens.sh (Debian's python3-torch 1.13, python3-numpy, python3-pil, python3-skimage):
    XSAM_OFFICIAL_ROOT=<checkout>/xsam python3 make_goldens.py OUT_DIR OFFICIAL_COMMIT
Writes OUT_DIR/manifest.json (every case: task, stage, prompt_kind, tolerance, its small data, with
masks as row-major run lengths) and OUT_DIR/goldens.safetensors (the float inputs and outputs).
tests/official_parity/test_official_parity.cpp runs our engine's functions on the same inputs.

Stages and what runs on the official side:
  visual_prompt   xsam.dataset.utils.vprompt.enhance_with_circles (points, scribbles), skimage.draw.line
                  (the line the official scribble generator draws), numpy's box slice; then the SAM
                  processor's size rule (SamImageProcessor._get_longest_edge_preprocess_shape) and the
                  resize transformers applies to an integer condition map (PIL NEAREST), zero padding
  region_sampler  xsam.model.modules.sampler NaiveSamplerModel, with rand_sample_repeat replaced by our
                  deterministic sample (the deliberate difference)
  embeddings      XSamModel._get_index_embeds over BaseDataset's cond_ids / seg_ids, XSamModel._process_embeds,
                  XSegmentor.get_class_prediction (bg_embeds last, logit_scale, clamp)
  decoder_queries X-SAM's Mask2FormerTransformerModule (modeling_mask2former.py) on the tiny weights of
                  tests/data/xsam_vision_tiny_weights.safetensors, with and without the <SEG> embedding
  postprocess     XSegmentor.postprocess_masks_preds, then every task's postprocess_fn
  preprocess      SamImageProcessor's size rule and PIL's resize (what transformers' resize runs): the
                  uint8 images our preprocessing must reproduce
"""
import json
import math
import os
import struct
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage.draw import line as sk_line

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import official_env as E  # noqa: E402

OUT = sys.argv[1]
COMMIT = sys.argv[2] if len(sys.argv) > 2 else "unknown"
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

vprompt = E.load("xsam.dataset.utils.vprompt")
point_sample = E.load("xsam.model.utils.point_sample")
E.shell("xsam.model.utils", **{k: getattr(point_sample, k) for k in dir(point_sample) if not k.startswith("_")})
sampler = E.load("xsam.model.modules.sampler.modeling_sampler")
for pkg, names in {
    "xsam.model.segmentors.mask2former": ["Mask2FormerLoss", "Mask2FormerMaskedAttentionDecoderLayer",
                                          "Mask2FormerModel", "Mask2FormerPixelDecoder",
                                          "Mask2FormerPixelDecoderEncoderMultiscaleDeformableAttention",
                                          "Mask2FormerPixelDecoderEncoderOnly", "Mask2FormerPixelLevelModule",
                                          "Mask2FormerTransformerModule"],
    "xsam.model.segmentors.sam": ["SamMaskDecoder", "SamModel", "SamVisionEncoder"],
    "xsam.model.modules": ["ConnectorConfig", "ConnectorModel", "DynamicProjectorConfig", "DynamicProjectorModel",
                           "SamplerConfig", "SamplerModel"],
}.items():
    E.shell(pkg, **{n: E._stub_class(n) for n in names})
E.shell("xsam.model.utils", prepare_inputs_labels_for_multimodal=None)
x_segmentor = E.load("xsam.model.segmentors.x_segmentor")
# X-SAM's own copy of Mask2Former (the transformer module adds the <SEG> embedding to the queries)
E.OVERRIDES["ACT2FN"] = {"relu": torch.nn.ReLU()}
E.shell("xsam.model.segmentors.mask2former", Mask2FormerConfig=object)
mask2former = E.load("xsam.model.segmentors.mask2former.modeling_mask2former")
xsam_model = E.load("xsam.model.xsam")
sam_processing = E.load("xsam.dataset.processors.image_processing_sam")
post = {name: getattr(E.load("xsam.dataset.process_fns.postprocess_fns.%s_process_fn" % name),
                      "%s_postprocess_fn" % name)
        for name in ["refseg", "reaseg", "genseg", "ovseg", "gcgseg", "intseg", "vgdseg"]}

tensors = {}
cases = []


def add_tensor(name, t):
    t = torch.as_tensor(t).contiguous()
    tensors[name] = t
    return name


def runs(mask):
    """Row-major run lengths of a 2-D 0/1 array, starting with a run of zeros."""
    flat = np.asarray(mask).astype(bool).reshape(-1)
    out, cur, n = [], False, 0
    for v in flat:
        if v != cur:
            out.append(n)
            cur, n = v, 0
        n += 1
    out.append(n)
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "runs": [int(x) for x in out]}


def case(name, task, stage, prompt_kind, tolerance, **data):
    cases.append(dict(name=name, task=task, stage=stage, prompt_kind=prompt_kind, tolerance=tolerance, **data))


EXACT = {"kind": "exact"}
NMSE = {"kind": "nmse", "max": 1e-6}


# ---- visual prompts ---------------------------------------------------------------------------------

def scaled_size(h, w, long_side):
    # the official processor's own size rule (its method uses no instance state)
    return sam_processing.SamImageProcessor._get_longest_edge_preprocess_shape(None, (h, w), long_side)


def to_canvas(mask, canvas):
    """The SAM processor's condition-map path: resize like the image, PIL NEAREST (transformers'
    resize of an integer map goes through a PIL image), zero padding (ignore_index=0 in the config)."""
    h, w = mask.shape
    nh, nw = scaled_size(h, w, canvas)
    resized = np.array(Image.fromarray(mask.astype(np.uint8)).resize((nw, nh), Image.NEAREST))
    out = np.zeros((canvas, canvas), np.uint8)
    out[:nh, :nw] = resized
    return out, (nh, nw)


def official_point(h, w, x, y, radius=10):
    m = np.zeros((h, w), np.uint8)
    m[int(math.floor(y)), int(math.floor(x))] = 1  # the clicked pixel (pixel centres at +0.5)
    return vprompt.enhance_with_circles(m, radius)


def official_scribble(h, w, pts, radius=5):
    m = np.zeros((h, w), np.uint8)
    px = [(int(math.floor(y)), int(math.floor(x))) for x, y in pts]
    m[px[0]] = 1
    for (r0, c0), (r1, c1) in zip(px[:-1], px[1:]):
        rr, cc = sk_line(r0, c0, r1, c1)
        m[rr, cc] = 1
    return vprompt.enhance_with_circles(m, radius)


def official_box(h, w, x0, y0, x1, y1):
    # generate_box_vprompt's slice box_prompt[y0:y1, x0:x1] = 1 with integer corners
    m = np.zeros((h, w), np.uint8)
    m[int(y0):int(y1), int(x0):int(x1)] = 1
    return m


def blob_mask(h, w, seed):
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(1, 1, 6, 8, generator=g)
    up = F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)[0, 0]
    return (up > 0.6).numpy().astype(np.uint8)


canvas_masks = []  # (name, canvas mask) for the region sampler


def prompt_case(name, kind, w, h, prompt, image_mask, canvas=1024):
    c, (nh, nw) = to_canvas(image_mask, canvas)
    case(name, "interactive+visual_grounded", "visual_prompt", kind, EXACT,
         image={"width": w, "height": h}, canvas=canvas, scaled=[nh, nw], prompt=prompt,
         image_mask=runs(image_mask), canvas_mask=runs(c))
    canvas_masks.append((name, c))


for (w, h, x, y) in [(640, 480, 100.5, 200.5), (4000, 3000, 1000.5, 2000.5), (333, 500, 3.2, 496.7),
                     (1024, 1024, 511.5, 0.5), (97, 61, 50.0, 30.9)]:
    prompt_case("point_%dx%d" % (w, h), "point", w, h, {"x": x, "y": y}, official_point(h, w, x, y))
scribbles = [
    (640, 480, [(100.5, 300.5), (200.5, 300.5)]),
    (640, 480, [(20.5, 20.5), (60.2, 200.9), (300.7, 180.1), (310.5, 470.5)]),  # steep and shallow segments
    (1600, 1200, [(400.5, 300.5), (900.5, 700.5), (905.5, 710.5)]),
    (333, 500, [(10.5, 10.5)]),  # a single vertex
    (97, 61, [(0.5, 60.5), (96.5, 0.5)]),
]
for i, (w, h, pts) in enumerate(scribbles):
    prompt_case("scribble_%d_%dx%d" % (i, w, h), "scribble", w, h, {"points": [list(p) for p in pts]},
                official_scribble(h, w, pts))
for i, (w, h, b) in enumerate([(640, 480, (10, 20, 30, 25)), (4000, 3000, (1200, 800, 2600, 2100)),
                               (333, 500, (0, 0, 333, 500)), (97, 61, (40, 7, 41, 60))]):
    prompt_case("box_%d_%dx%d" % (i, w, h), "box", w, h, {"box": list(b)}, official_box(h, w, *b))
for i, (w, h) in enumerate([(640, 480), (333, 500), (97, 61), (1600, 1200)]):
    m = blob_mask(h, w, 100 + i)
    prompt_case("mask_%d_%dx%d" % (i, w, h), "mask", w, h, {"mask": runs(m)}, m)


# ---- region sampler ---------------------------------------------------------------------------------

def deterministic_sample(x, max_len):
    """Our rule (core/xsam/model/region.h) in place of rand_sample_repeat: every pixel when there are at
    most max_len, repeated cyclically up to max_len where the reference repeats random ones (repeats do
    not change a max-pool), else max_len pixels evenly spaced in raster order."""
    n = x.shape[0]
    if n <= max_len:
        return x[torch.arange(max_len) % n]
    idx = torch.div(torch.arange(max_len) * n, max_len, rounding_mode="floor")
    return x[idx]


sampler.rand_sample_repeat = deterministic_sample
g = torch.Generator().manual_seed(7)
channels = 24
seg_tokens = torch.randn(32 * 32, channels, generator=g)
add_tensor("region_sampler/seg_tokens", seg_tokens)
cfg = types.SimpleNamespace(num_sample_point=256)
naive = sampler.NaiveSamplerModel(cfg)
chosen = [n for n, _ in canvas_masks]
masks = torch.stack([torch.from_numpy(c.astype(np.int64)) for _, c in canvas_masks])
with torch.no_grad():
    feats = naive([seg_tokens], [masks], torch.float32, torch.float32)[0]
add_tensor("region_sampler/features", feats)
case("region_sampler_all_prompts", "visual_grounded", "region_sampler", "all", NMSE,
     prompts=chosen, num_points=256, seg_tokens="region_sampler/seg_tokens", features="region_sampler/features")


# ---- <SEG> / phrase embeddings and class logits -------------------------------------------------------

PSTART, PEND, SEG = 32012, 32013, 32011


def cond_and_seg_ids(ids):
    """The datasets' _get_cond_ids (cond_type 'phrase') and _get_seg_ids, run on a stand-in object."""
    ds = types.SimpleNamespace(tokenizer=object(), cond_type="phrase", pstart_token_idx=PSTART,
                               pend_token_idx=PEND, cls_token_idx=-1, seg_token_idx=SEG)
    d = base_dataset.BaseDataset._get_cond_ids(ds, {"input_ids": ids})
    d = base_dataset.BaseDataset._get_seg_ids(ds, d)
    return d["cond_ids"], d["seg_ids"]


base_dataset = E.load("xsam.dataset.base_dataset")

hidden = 32
g = torch.Generator().manual_seed(11)
bg = torch.randn(1, hidden, generator=g)
logit_scale = torch.tensor([math.log(1 / 0.07)])
add_tensor("embeddings/bg_embeds", bg)
add_tensor("embeddings/logit_scale", logit_scale)
fake_model = types.SimpleNamespace(bg_embeds=types.SimpleNamespace(weight=bg))
fake_segmentor = types.SimpleNamespace(logit_scale=torch.nn.Parameter(logit_scale.clone()))
for task, official_task, n_phrases in [("generic", "genseg", 3), ("referring", "refseg", 1),
                                        ("visual_grounded", "vgdseg", 2), ("interactive", "intseg", 1)]:
    # a question with n phrases <p> a b </p> and an answer with one <SEG>, laid out like the engine's
    ids = [1, 32010, 9, 9, 9]
    for k in range(n_phrases):
        ids += [PSTART] + [40 + k] * (k + 1) + [PEND, 11]
    ids += [32007, 32001, 50, SEG, 13, 32007]
    L = len(ids)
    proj = torch.randn(L, hidden, generator=g)
    queries = torch.randn(1, 10, hidden, generator=g)
    cond_ids, seg_ids = cond_and_seg_ids(ids)
    cond = xsam_model.XSamModel._get_index_embeds(None, [proj], [torch.tensor(cond_ids)])
    seg = xsam_model.XSamModel._get_index_embeds(None, [proj], [torch.tensor(seg_ids)])
    cond_embeds, seg_embeds, embed_masks, _, _ = xsam_model.XSamModel._process_embeds(
        fake_model, cond, seg, official_task)
    logits = x_segmentor.XSegmentor.get_class_prediction(fake_segmentor, queries.expand(cond_embeds.shape[0], -1, -1),
                                                         cond_embeds, embed_masks)
    p = "embeddings/%s/" % task
    case("embeddings_" + task, task, "embeddings", "text" if task in ("generic", "referring") else "point", NMSE,
         ids=ids, proj=add_tensor(p + "proj", proj), queries=add_tensor(p + "queries", queries[0]),
         phrases=add_tensor(p + "phrases", cond[0]), seg=add_tensor(p + "seg", seg_embeds.reshape(-1, hidden)),
         class_logits=add_tensor(p + "class_logits", logits[0].detach()))


# ---- the <SEG> embedding into the decoder queries ---------------------------------------------------------

def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k != "__metadata__":
            s, e = v["data_offsets"]
            out[k] = torch.from_numpy(np.frombuffer(raw[8 + n + s:8 + n + e], dtype=np.float32).reshape(v["shape"]).copy())
    return out


tiny = json.load(open(os.path.join(SOURCE, "models", "xsam-tiny.json")))
dec = tiny["mask_decoder"]
weights = read_safetensors(os.path.join(SOURCE, "tests", "data", "xsam_vision_tiny_weights.safetensors"))
m2f_config = types.SimpleNamespace(
    hidden_dim=dec["hidden_dim"], feature_size=tiny["pixel_decoder"]["feature_size"], num_feature_levels=3,
    enforce_input_projection=False, num_queries=dec["num_queries"],
    mask_feature_size=tiny["pixel_decoder"]["mask_feature_size"], dropout=0.0, decoder_layers=dec["decoder_layers"],
    num_attention_heads=dec["num_attention_heads"], dim_feedforward=dec["dim_feedforward"], pre_norm=dec["pre_norm"],
    activation_function="relu", output_attentions=False, output_hidden_states=False, use_return_dict=True)
transformer = mask2former.Mask2FormerTransformerModule(m2f_config).eval()
prefix = "segmentor.decoder."
transformer.load_state_dict({k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}, strict=True)
g = torch.Generator().manual_seed(13)
levels = [torch.randn(1, 32, s, s, generator=g) for s in (4, 8, 16)]  # lowest resolution first
mask_features = torch.randn(1, 32, 32, 32, generator=g)
for i, t in enumerate(levels):
    add_tensor("decoder/level%d" % i, t)
add_tensor("decoder/mask_features", mask_features)
for name, seg in [("with_seg", torch.randn(1, 1, dec["hidden_dim"], generator=g)), ("without_seg", None)]:
    with torch.no_grad():
        out = transformer(multi_scale_features=levels, mask_features=mask_features, seg_embeddings=seg)
    p = "decoder/%s/" % name
    case("decoder_queries_" + name, "referring" if seg is not None else "generic", "decoder_queries",
         "text", NMSE, seg=add_tensor(p + "seg", seg[0, 0]) if seg is not None else None,
         query_states=add_tensor(p + "query_states", out.intermediate_hidden_states[-1].transpose(0, 1)[0]),
         mask_logits=add_tensor(p + "mask_logits", out.masks_queries_logits[-1][0]))


# ---- post-processing ----------------------------------------------------------------------------------

def upsampled(mask_logits, canvas):
    seg_self = types.SimpleNamespace(enc_config=types.SimpleNamespace(image_size=canvas))
    return x_segmentor.XSegmentor.postprocess_masks_preds(seg_self, [mask_logits])[0]


def decoder_output(seed, queries, classes, res, sharp=4.0):
    g = torch.Generator().manual_seed(seed)
    cls = torch.randn(1, queries, classes + 1, generator=g) * sharp
    low = torch.randn(1, queries, res // 4, res // 4, generator=g)
    masks = F.interpolate(low, size=(res, res), mode="bilinear", align_corners=False) * 6.0 + 1.0
    return cls, masks


def panoptic_output(seed, queries, classes, res):
    """Queries that each own a region (as a trained model's do), so that segments survive the overlap test."""
    g = torch.Generator().manual_seed(seed)
    cls = torch.randn(1, queries, classes + 1, generator=g) * 4.0
    field = F.interpolate(torch.randn(1, queries, 4, 4, generator=g), size=(res // 4, res // 4), mode="bilinear",
                          align_corners=False)
    owner = field.argmax(1, keepdim=True)
    low = torch.where(owner == torch.arange(queries).view(1, -1, 1, 1), 5.0, -5.0)
    low = low + torch.randn(low.shape, generator=g)
    return cls, F.interpolate(low, size=(res, res), mode="bilinear", align_corners=False)


def outputs(cls, masks, canvas):
    return x_segmentor.XSegmentorOutput(class_queries_logits=cls, masks_queries_logits=upsampled(masks, canvas))


canvas = 128
geometries = [(100, 75), (61, 97), (128, 128)]
for gi, (w, h) in enumerate(geometries):
    nh, nw = scaled_size(h, w, canvas)
    sizes = dict(image_sizes=[(h, w)], scaled_sizes=[(nh, nw)])
    geo = {"canvas": canvas, "scaled": [nh, nw], "width": w, "height": h}
    for task, fn, classes in [("referring", "refseg", 1), ("reasoning", "reaseg", 1)]:
        cls, masks = decoder_output(200 + gi, 10, classes, 16)
        r = post[fn](outputs(cls, masks, canvas), **sizes)[0]
        p = "post/%s_%d/" % (task, gi)
        case("post_%s_%d" % (task, gi), task, "postprocess", "text", EXACT, geometry=geo,
             class_logits=add_tensor(p + "class_logits", cls[0]), mask_logits=add_tensor(p + "mask_logits", masks[0]),
             mask=runs((r["segmentation"] == 1).numpy()), score=r["segments_info"]["score"])
    # grounded caption: 3 phrases, later phrases drawn over earlier ones
    cls, masks = decoder_output(300 + gi, 10, 3, 16)
    r = post["gcgseg"](outputs(cls, masks, canvas), **sizes)[0]
    p = "post/gcg_%d/" % gi
    case("post_gcg_%d" % gi, "grounded_caption", "postprocess", "text", EXACT, geometry=geo,
         class_logits=add_tensor(p + "class_logits", cls[0]), mask_logits=add_tensor(p + "mask_logits", masks[0]),
         segmentation=add_tensor(p + "segmentation", r["segmentation"].to(torch.int64)),
         scores=[s["score"] for s in r["segments_info"]])
    # generic and open-vocabulary: instance, semantic, panoptic (classes 1 and 3 are stuff)
    for task, fn in [("generic", "genseg"), ("open_vocabulary", "ovseg")]:
        cls, masks = decoder_output(400 + gi + (10 if fn == "ovseg" else 0), 12, 4, 16)
        o = outputs(cls, masks, canvas)
        p = "post/%s_%d/" % (task, gi)
        base = dict(geometry=geo, class_logits=add_tensor(p + "class_logits", cls[0]),
                    mask_logits=add_tensor(p + "mask_logits", masks[0]))
        ins = post[fn](o, task_name="genseg(ins)", threshold=0.3, return_coco_annotation=False, **sizes)[0]
        inst = ins["instances"]
        case("post_%s_instance_%d" % (task, gi), task, "postprocess", "text", dict(EXACT, score_nmse=1e-6),
             mode="instance", threshold=0.3, **base,
             instances=[{"label": int(c), "score": float(s), "mask": runs(m.numpy())}
                        for c, s, m in zip(inst.pred_classes, inst.scores, inst.pred_masks)])
        sem = post[fn](o, task_name="genseg(sem)", **sizes)[0]
        case("post_%s_semantic_%d" % (task, gi), task, "postprocess", "text", EXACT, mode="semantic", **base,
             segmentation=add_tensor(p + "semantic", sem["segmentation"].to(torch.int64)))
        meta = types.SimpleNamespace(stuff_dataset_id_to_contiguous_id={1: 1, 3: 3})
        cls, masks = panoptic_output(450 + gi + (10 if fn == "ovseg" else 0), 12, 4, 16)
        pan = post[fn](outputs(cls, masks, canvas), task_name="genseg(pan)", threshold=0.3, metadata=meta,
                       **sizes)[0]
        case("post_%s_panoptic_%d" % (task, gi), task, "postprocess", "text", EXACT, mode="panoptic", threshold=0.3,
             stuff=[1, 3], geometry=geo, class_logits=add_tensor(p + "pan_class_logits", cls[0]),
             mask_logits=add_tensor(p + "pan_mask_logits", masks[0]),
             segmentation=add_tensor(p + "panoptic", pan["segmentation"].to(torch.int64)),
             segments=[{"id": s["id"], "label": s["category_id"], "isthing": s["isthing"], "score": s["score"]}
                       for s in pan["segments_info"]])
    # visual grounded: 2 prompts, every instance above the threshold
    cls, masks = decoder_output(500 + gi, 12, 2, 16)
    r = post["vgdseg"](outputs(cls, masks, canvas), threshold=0.3, **sizes)[0]
    inst = r["instances"]
    p = "post/vgd_%d/" % gi
    case("post_vgd_%d" % gi, "visual_grounded", "postprocess", "point", dict(EXACT, score_nmse=1e-6), threshold=0.3,
         geometry=geo, class_logits=add_tensor(p + "class_logits", cls[0]),
         mask_logits=add_tensor(p + "mask_logits", masks[0]),
         instances=[{"label": int(c), "score": float(s), "mask": runs(m.numpy())}
                    for c, s, m in zip(inst.pred_classes, inst.scores, inst.pred_masks)])
    # interactive: one class, the candidate whose box best overlaps the prompt's box
    for kind, prompt_mask in [("point", official_point(h, w, w * 0.4, h * 0.6)),
                              ("box", official_box(h, w, w // 5, h // 4, w // 2, (3 * h) // 4))]:
        cls, masks = decoder_output(600 + gi + (5 if kind == "box" else 0), 10, 1, 16, sharp=1.5)
        vp, _ = to_canvas(prompt_mask, canvas)
        r = post["intseg"](outputs(cls, masks, canvas), vprompt_masks=[torch.from_numpy(vp)[None].float()],
                           threshold=0.5, **sizes)[0]
        p = "post/interactive_%s_%d/" % (kind, gi)
        case("post_interactive_%s_%d" % (kind, gi), "interactive", "postprocess", kind, EXACT, threshold=0.5,
             geometry=geo, class_logits=add_tensor(p + "class_logits", cls[0]),
             mask_logits=add_tensor(p + "mask_logits", masks[0]), canvas_mask=runs(vp),
             mask=runs((r["segmentation"] == 1).numpy()), score=r["segments_info"]["score"])


# ---- preprocessing ----------------------------------------------------------------------------------

def test_image(w, h, seed):
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(1, 3, max(2, h // 8), max(2, w // 8), generator=g) * 255
    smooth = F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
    noise = torch.randint(-40, 41, (1, 3, h, w), generator=g).float()
    return (smooth + noise).clamp(0, 255).round().to(torch.uint8)[0].permute(1, 2, 0).numpy()


def expand2square(img, fill):
    # xtuner.dataset.utils.expand2square (pads with the processor mean, int(0.5 * 255) = 127)
    h, w, _ = img.shape
    side = max(h, w)
    out = np.full((side, side, 3), fill, np.uint8)
    y0, x0 = (side - h) // 2, (side - w) // 2
    out[y0:y0 + h, x0:x0 + w] = img
    return out


for (w, h, seed) in [(64, 48, 1), (41, 97, 2), (300, 200, 3), (128, 128, 4)]:
    img = test_image(w, h, seed)
    Image.fromarray(img).save(os.path.join(OUT, "image_%dx%d.png" % (w, h)))
    # full-size outputs of the two smallest images only (PNG of upscaled noise is large)
    for long_side in (128, 1024) if w * h < 5000 else (128,):
        nh, nw = scaled_size(h, w, long_side)
        sam = Image.fromarray(img).resize((nw, nh), Image.BILINEAR)
        out = "sam_%dx%d_%d.png" % (w, h, long_side)
        sam.save(os.path.join(OUT, out), optimize=True)
        case("pre_sam_%dx%d_%d" % (w, h, long_side), "all", "preprocess_sam", "image", EXACT,
             image="image_%dx%d.png" % (w, h), long_side=long_side, scaled=[nh, nw], resized=out)
    square = expand2square(img, 127)
    sizes = [(56, "bilinear", Image.BILINEAR), (56, "bicubic", Image.BICUBIC)]
    if w * h < 5000:
        sizes += [(384, "bilinear", Image.BILINEAR), (384, "bicubic", Image.BICUBIC)]
    for size, mode, resample in sizes:
        sig = Image.fromarray(square).resize((size, size), resample)
        out = "siglip_%dx%d_%d_%s.png" % (w, h, size, mode)
        sig.save(os.path.join(OUT, out), optimize=True)
        case("pre_siglip_%dx%d_%d_%s" % (w, h, size, mode), "all", "preprocess_siglip", "image", EXACT,
             image="image_%dx%d.png" % (w, h), size=size, resample=mode, resized=out)


# ---- files ------------------------------------------------------------------------------------------

def write_safetensors(path, named):
    dtypes = {torch.float32: "F32", torch.int64: "I64", torch.uint8: "U8"}
    header, blobs, offset = {}, [], 0
    for name in sorted(named):
        t = named[name]
        if t.dtype not in dtypes:
            t = t.to(torch.float32)
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


write_safetensors(os.path.join(OUT, "goldens.safetensors"), tensors)
manifest = {
    "official_repository": "wanghao9610/X-SAM",
    "official_branch": "AAAI26_Archive",
    "official_commit": COMMIT,
    "generated_by": "tests/reference/official/make-goldens.sh",
    "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__,
                 "pillow": Image.__version__, "skimage": __import__("skimage").__version__},
    "cases": cases,
}
with open(os.path.join(OUT, "manifest.json"), "w") as f:
    # one case per line: readable diffs, compact arrays
    head = json.dumps({k: v for k, v in manifest.items() if k != "cases"}, indent=1)[:-2]
    f.write(head + ',\n "cases": [\n')
    f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in cases))
    f.write("\n ]\n}\n")
print("wrote %d cases, %d tensors to %s" % (len(cases), len(tensors), OUT))
