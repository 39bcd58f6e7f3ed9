"""End-to-end comparison with the official X-SAM model, for the GPU machine (PyTorch 2.x + transformers).

NOT YET RUN: written on a machine without transformers (issue 13); expect to fix details on its first
run. What it does, on the tiny random-weight model (models/xsam-tiny.json) that prepare-e2e.sh wrote
together with our engine's answers (the GPU machine's xsam-cli cannot load images):
  1. the official SamImageProcessor (dataset/processors/image_processing_sam.py) with real transformers
     on the goldens' images and prompt masks: checks that the stubs of make_goldens.py (PIL BILINEAR for
     the image, PIL NEAREST + zero padding for condition maps) are what transformers really runs;
  2. the official modules assembled as the official config assembles them -- XSegmentor(SamModel,
     Mask2FormerModel, open_cls=True), DynamicProjectorModel x3, ConnectorModel -- plus transformers'
     SiglipVisionModel and Phi3ForCausalLM, weights loaded by name from the tiny model folder;
  3. for referring, generic (instance), interactive (point) and VGD (box): the official data flow of
     XSamModel.forward / _forward -- official prepare_inputs_labels_for_multimodal, _get_index_embeds,
     _process_embeds, XSegmentor.forward, the task's postprocess_fn, NaiveSamplerModel with our
     deterministic sample -- on the token ids our engine reads (our tokenizer's documented rule,
     core/xsam/tokenizer/tokenizer.h, with Python SentencePiece), teacher-forced as the engine scores;
     the masks and scores against our engine's answers.
The glue between the official functions (which hidden state feeds which module) follows
XSamModel.forward line by line; xtuner, mmengine and peft are stubbed (official_env.py).
Usage:  here:  tests/reference/official/prepare-e2e.sh            (writes .device/e2e)
        GPU:   git archive the official AAAI26_Archive into /tmp/xo (outside the tree), then
               python3 tests/reference/official/run_official_e2e.py --official /tmp/xo/xsam --e2e .device/e2e --out "$OUT"
Prints one JSON line per check and exits 1 when any differs.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--official", required=True, help="the xsam/ folder of an AAAI26_Archive checkout")
ap.add_argument("--e2e", required=True, help="the folder prepare-e2e.sh wrote (model/, image.png, our answers)")
ap.add_argument("--out", required=True)
args = ap.parse_args()
args.model = os.path.join(args.e2e, "model")
sys.path.insert(0, here)
os.environ["XSAM_OFFICIAL_ROOT"] = args.official
import official_env as E  # noqa: E402

# transformers is real here; only xtuner, mmengine, peft (and pycocotools) are stubbed
E.STUBBED = ("xtuner", "mmengine", "peft", "pycocotools", "deepspeed")
E.OVERRIDES.update({"IGNORE_INDEX": -100, "IMAGE_TOKEN_INDEX": -200})
goldens = os.path.join(here, "..", "..", "data", "official")
failures = 0


def report(**kw):
    global failures
    failures += 0 if kw.get("ok") else 1
    print(json.dumps(kw), flush=True)


# ---- 1. preprocessing with the real transformers --------------------------------------------------------
SamImageProcessor = E.load("xsam.dataset.processors.image_processing_sam").SamImageProcessor

manifest = json.load(open(os.path.join(goldens, "manifest.json")))
for c in manifest["cases"]:
    if c["stage"] != "preprocess_sam":
        continue
    proc = SamImageProcessor(size={"longest_edge": c["long_side"]},
                             pad_size={"height": c["long_side"], "width": c["long_side"]}, ignore_index=0)
    image = Image.open(os.path.join(goldens, c["image"])).convert("RGB")
    out = proc.preprocess(image, return_tensors="pt")
    want = np.asarray(Image.open(os.path.join(goldens, c["resized"])).convert("RGB"), np.float32) / 255.0
    mean, std = np.array(proc.image_mean, np.float32), np.array(proc.image_std, np.float32)
    h, w = c["scaled"]
    got = out["pixel_values"][0, :, :h, :w].permute(1, 2, 0).numpy() * std + mean
    err = float(np.abs(got - want).max() * 255)
    report(check="sam_processor_" + c["name"], ok=err < 0.01, max_grey_levels=err)

# ---- 2. the official model on the tiny random weights ------------------------------------------------------
from safetensors.torch import load_file  # noqa: E402
from transformers import Phi3Config, Phi3ForCausalLM, SiglipVisionConfig, SiglipVisionModel  # noqa: E402

point_sample = E.load("xsam.model.utils.point_sample")
pixel_shuffle = E.load("xsam.model.utils.pixel_shuffle")
E.shell("xsam.model.utils", **{k: getattr(m, k) for m in (point_sample, pixel_shuffle) for k in dir(m) if not k.startswith("_")})
sam_pkg = E.load("xsam.model.segmentors.sam")
SamConfig, SamModel = sam_pkg.SamConfig, sam_pkg.SamModel
m2f_pkg = E.load("xsam.model.segmentors.mask2former")
Mask2FormerConfig, Mask2FormerModel = m2f_pkg.Mask2FormerConfig, m2f_pkg.Mask2FormerModel
XSegmentor = E.load("xsam.model.segmentors.x_segmentor").XSegmentor
projector = E.load("xsam.model.modules.projector")
connector = E.load("xsam.model.modules.connector")
sampler = E.load("xsam.model.modules.sampler.modeling_sampler")
DynamicProjectorConfig, DynamicProjectorModel = projector.DynamicProjectorConfig, projector.DynamicProjectorModel
ConnectorConfig, ConnectorModel = connector.ConnectorConfig, connector.ConnectorModel
E.shell("xsam.model.utils", prepare_inputs_labels_for_multimodal=E.load(
    "xsam.model.utils.input_process").prepare_inputs_labels_for_multimodal)
xsam_model = E.load("xsam.model.xsam")
post = {n: getattr(E.load("xsam.dataset.process_fns.postprocess_fns.%s_process_fn" % n), "%s_postprocess_fn" % n)
        for n in ("refseg", "genseg", "intseg", "vgdseg")}
vprompt = E.load("xsam.dataset.utils.vprompt")

cfg = json.load(open(os.path.join(args.model, "config.json")))
llm_c, sig_c, sam_c, dec_c, pix_c = cfg["llm"], cfg["visual_encoder"], cfg["seg_encoder"], cfg["mask_decoder"], cfg["pixel_decoder"]
llm = Phi3ForCausalLM(Phi3Config(vocab_size=llm_c["vocab_size"], hidden_size=llm_c["hidden_size"],
                                 intermediate_size=llm_c["intermediate_size"], num_hidden_layers=llm_c["num_hidden_layers"],
                                 num_attention_heads=llm_c["num_attention_heads"],
                                 max_position_embeddings=llm_c["max_position_embeddings"], rope_theta=llm_c["rope_theta"],
                                 rms_norm_eps=llm_c["rms_norm_eps"], sliding_window=llm_c["sliding_window"],
                                 tie_word_embeddings=False))
visual = SiglipVisionModel(SiglipVisionConfig(image_size=sig_c["image_size"], patch_size=sig_c["patch_size"],
                                              hidden_size=sig_c["hidden_size"], intermediate_size=sig_c["intermediate_size"],
                                              num_hidden_layers=sig_c["num_hidden_layers"],
                                              num_attention_heads=sig_c["num_attention_heads"],
                                              layer_norm_eps=sig_c["layer_norm_eps"], hidden_act=sig_c["hidden_act"]))
sam = SamModel(SamConfig(vision_config=dict(image_size=sam_c["image_size"], patch_size=sam_c["patch_size"],
                                            hidden_size=sam_c["hidden_size"], mlp_dim=sam_c["mlp_dim"],
                                            num_hidden_layers=sam_c["num_hidden_layers"],
                                            num_attention_heads=sam_c["num_attention_heads"],
                                            window_size=sam_c["window_size"],
                                            global_attn_indexes=sam_c["global_attn_indexes"],
                                            output_channels=sam_c["output_channels"])))
m2f = Mask2FormerModel(Mask2FormerConfig(hidden_dim=dec_c["hidden_dim"], num_queries=dec_c["num_queries"],
                                         decoder_layers=dec_c["decoder_layers"],
                                         num_attention_heads=dec_c["num_attention_heads"],
                                         dim_feedforward=dec_c["dim_feedforward"], feature_size=pix_c["feature_size"],
                                         mask_feature_size=pix_c["mask_feature_size"],
                                         encoder_layers=pix_c["encoder_layers"],
                                         encoder_feedforward_dim=pix_c["encoder_feedforward_dim"],
                                         feature_strides=pix_c["feature_strides"], common_stride=pix_c["common_stride"],
                                         num_labels=dec_c["num_labels"]))
model = torch.nn.Module()
model.llm, model.visual_encoder = llm, visual
model.segmentor = XSegmentor(sam, m2f, open_cls=True)
width = llm_c["hidden_size"]
model.visual_projector = DynamicProjectorModel(DynamicProjectorConfig(visual_hidden_size=sig_c["hidden_size"],
                                                                      llm_hidden_size=width, depth=2))
model.seg_projector = DynamicProjectorModel(DynamicProjectorConfig(visual_hidden_size=sam_c["hidden_size"],
                                                                   llm_hidden_size=width, depth=2, downsample_ratio=0.5))
model.llm_projector = DynamicProjectorModel(DynamicProjectorConfig(visual_hidden_size=width,
                                                                   llm_hidden_size=dec_c["hidden_dim"], depth=2))
con = cfg["connector"]
model.seg_connector = ConnectorModel(ConnectorConfig(segmentor_encoder_channels=[sam_c["hidden_size"]] * 3,
                                                     hidden_channels=con["hidden_channels"],
                                                     scale_factor=con["scale_factors"], connector_type="conv"))
model.bg_embeds = torch.nn.Embedding(1, dec_c["hidden_dim"])
state = {}
for f in sorted(os.listdir(args.model)):
    if f.endswith(".safetensors"):
        state.update(load_file(os.path.join(args.model, f)))
missing, unexpected = model.load_state_dict(state, strict=False)
report(check="official_model_loads_our_weights", ok=not unexpected,
       missing=len(missing), unexpected=unexpected[:10], missing_names=missing[:10])

# ---- 3. four tasks, end to end --------------------------------------------------------------------------------
import math  # noqa: E402
import types  # noqa: E402

import sentencepiece as spm  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from transformers import SiglipImageProcessor  # noqa: E402
from transformers.image_utils import PILImageResampling  # noqa: E402

model.eval()
sp = spm.SentencePieceProcessor(model_file=os.path.join(args.model, "tokenizer.model"))
V = sp.get_piece_size()
ADDED = ["<|endoftext|>", "<|assistant|>", "<|placeholder1|>", "<|placeholder2|>", "<|placeholder3|>",
         "<|placeholder4|>", "<|system|>", "<|end|>", "<|placeholder5|>", "<|placeholder6|>", "<|user|>",
         "<SEG>", "<p>", "</p>"]
TOKEN_ID = {t: V + i for i, t in enumerate(ADDED)}
TOKEN_ID.update({"<unk>": sp.unk_id(), "<s>": sp.bos_id(), "</s>": sp.eos_id()})
RSTRIP = set(ADDED[:11]) | {"</s>"}


def encode(text):
    """Our tokenizer's rule (core/xsam/tokenizer/tokenizer.h): added tokens first (leftmost, longest),
    whitespace after an rstrip token dropped, each remaining segment through SentencePiece on its own."""
    ids, pos, seg = [], 0, ""
    while pos < len(text):
        match = max((t for t in TOKEN_ID if text.startswith(t, pos)), key=len, default=None)
        if match is None:
            seg += text[pos]
            pos += 1
            continue
        if seg:
            ids += sp.encode(seg)
            seg = ""
        ids.append(TOKEN_ID[match])
        pos += len(match)
        if match in RSTRIP:
            while pos < len(text) and text[pos].isspace():
                pos += 1
    if seg:
        ids += sp.encode(seg)
    return ids


def engine_ids(question, answer):
    """The pieces our engine reads (core/xsam/pipeline/prompts.h): BOS, "<|user|>\n", <image>, the
    question split at <region>, the answer with "<|end|>", then "\n"."""
    ids = [sp.bos_id()] + encode("<|user|>\n") + [-200]
    parts = ("\n" + question + "<|end|>\n<|assistant|>\n").split("<region>")
    for i, part in enumerate(parts):
        if i:
            ids.append(-300)
        if part:
            ids += encode(part)
    return ids + encode(answer + "<|end|>") + encode("\n")


QUESTIONS = {
    "referring": lambda t: ("Can you segment <p>%s</p> in this image? Please generate the segmentation mask."
                            % t["text"], "It is <SEG>."),
    "generic": lambda t: ("Can you segment the image based on the following categories: %s? Please output the "
                          "segmentation masks." % ", ".join("<p>%s</p>" % c for c in t["categories"]),
                          "Sure, it is <SEG>."),
    "interactive": lambda t: ("Can you segment the image based on the following regions: <p><region></p>? Please "
                              "output the corresponding segmentation mask.", "Sure, <SEG>."),
}
QUESTIONS["vgd"] = QUESTIONS["interactive"]
OFFICIAL_TASK = {"referring": "refseg", "generic": "genseg", "interactive": "intseg", "vgd": "vgdseg"}

image = Image.open(os.path.join(args.e2e, "image.png")).convert("RGB")
w, h = image.size
sam_proc = SamImageProcessor(size={"longest_edge": sam_c["image_size"]},
                             pad_size={"height": sam_c["image_size"], "width": sam_c["image_size"]}, ignore_index=0)
side = max(w, h)
square = Image.new("RGB", (side, side), (127, 127, 127))
square.paste(image, ((side - w) // 2, (side - h) // 2))  # xtuner's expand2square
sig_proc = SiglipImageProcessor(size={"height": sig_c["image_size"], "width": sig_c["image_size"]},
                                resample=PILImageResampling.BILINEAR, image_mean=[0.5] * 3, image_std=[0.5] * 3)
pixel_values = sig_proc.preprocess(square, return_tensors="pt")["pixel_values"]


def prompt_mask(t):
    m = np.zeros((h, w), np.uint8)
    if "point" in t:
        x, y = t["point"]
        m[int(math.floor(y)), int(math.floor(x))] = 1
        return vprompt.enhance_with_circles(m, 10)
    x0, y0, x1, y1 = t["box"]
    m[int(y0):int(y1), int(x0):int(x1)] = 1
    return m


def deterministic_sample(x, max_len):  # our rule, as in make_goldens.py
    n = x.shape[0]
    if n <= max_len:
        return x[torch.arange(max_len, device=x.device) % n]
    return x[torch.div(torch.arange(max_len, device=x.device) * n, max_len, rounding_mode="floor")]


sampler.rand_sample_repeat = deterministic_sample
naive = sampler.NaiveSamplerModel(types.SimpleNamespace(num_sample_point=cfg["region_sampler"]["num_points"]))
fake = types.SimpleNamespace(bg_embeds=model.bg_embeds)

for t in json.load(open(os.path.join(args.e2e, "tasks.json"))):
    name, task = t["name"], t["name"]
    ours = json.load(open(os.path.join(args.e2e, name + ".json")))
    ours_mask = np.asarray(Image.open(os.path.join(args.e2e, name + ".png"))) > 0
    vmask = prompt_mask(t) if task in ("interactive", "vgd") else None
    seg_in = sam_proc.preprocess(image, condition_maps=[vmask] if vmask is not None else None, return_tensors="pt")
    scaled = tuple(seg_in["scaled_sizes"][0].tolist())
    question, answer = QUESTIONS[task](t)
    ids = engine_ids(question, answer)
    with torch.no_grad():
        # XSamModel.forward: visual tokens, SAM tokens (seg_projector of hidden_states[-2]), connector levels
        vis = visual(pixel_values, output_hidden_states=True)
        pv = model.visual_projector(vis.hidden_states[-2][:, 0:])
        seg_out = model.segmentor.encoder(seg_in["pixel_values"], output_hidden_states=True, output_attentions=False)
        extra = model.seg_projector(seg_out.hidden_states[-2])
        levels = model.seg_connector([seg_out.hidden_states[i] for i in con["select_layers"]])
        vprompt_feats = None
        if vmask is not None:
            vprompt_feats = naive([extra[0]], [seg_in["vprompt_masks"][0].unsqueeze(0) if seg_in["vprompt_masks"][0].dim() == 2
                                              else seg_in["vprompt_masks"][0]])
        cond_ids, seg_ids = [-1] * len(ids), [-1] * len(ids)
        starts = [i for i, x in enumerate(ids) if x == TOKEN_ID["<p>"]]
        ends = [i for i, x in enumerate(ids) if x == TOKEN_ID["</p>"]]
        for k, (a, b) in enumerate(zip(starts, ends)):
            cond_ids[a:b + 1] = [k] * (b - a + 1)
        for k, i in enumerate([i for i, x in enumerate(ids) if x == TOKEN_ID["<SEG>"]]):
            seg_ids[i] = k
        data = xsam_model.prepare_inputs_labels_for_multimodal(
            llm=llm, input_ids=torch.tensor([ids]), pixel_values=pv, extra_pixel_values=extra,
            cond_ids=torch.tensor([cond_ids]), seg_ids=torch.tensor([seg_ids]), vprompt_feats=vprompt_feats)
        # XSamModel._forward
        cond_ids, seg_ids = data.pop("cond_ids"), data.pop("seg_ids")
        data.pop("vprompt_feats", None)
        data.pop("labels", None)
        data["input_ids"] = None
        hidden = llm(**data, output_hidden_states=True).hidden_states[-1]
        llm_embeds = model.llm_projector(hidden)
        cond = xsam_model.XSamModel._get_index_embeds(None, llm_embeds, cond_ids)
        segs = xsam_model.XSamModel._get_index_embeds(None, llm_embeds, seg_ids)
        cond, segs, masks_, cond_lens, _ = xsam_model.XSamModel._process_embeds(fake, cond, segs, OFFICIAL_TASK[task])
        outputs = model.segmentor(image_embeddings=levels, cond_embeddings=cond, seg_embeddings=segs,
                                  embed_masks=masks_, cond_lens=cond_lens, return_dict=True)
        sizes = dict(image_sizes=[(h, w)], scaled_sizes=[scaled])
        if task == "referring":
            r = post["refseg"](outputs, **sizes)[0]
            official = [(r["segmentation"] == 1).cpu().numpy(), r["segments_info"]["score"]]
        elif task == "interactive":
            r = post["intseg"](outputs, vprompt_masks=[seg_in["vprompt_masks"][0].float().reshape(1, *seg_in["vprompt_masks"][0].shape[-2:])],
                               threshold=0.5, **sizes)[0]
            official = [(r["segmentation"] == 1).cpu().numpy(), r["segments_info"]["score"]]
        else:
            fn = post["genseg"] if task == "generic" else post["vgdseg"]
            extra_kw = {"task_name": "genseg(ins)", "return_coco_annotation": False} if task == "generic" else {}
            inst = fn(outputs, threshold=0.5, **extra_kw, **sizes)[0]["instances"]
            order = torch.argsort(inst.scores, descending=True)
            official = [inst.pred_masks[order[0]].bool().cpu().numpy() if len(order) else np.zeros((h, w), bool),
                        float(inst.scores[order[0]]) if len(order) else 0.0]
            report(check="e2e_%s_instance_count" % name, ok=len(order) == len(ours["instances"]),
                   official=len(order), ours=len(ours["instances"]))
    differing = int((official[0] != ours_mask).sum())
    report(check="e2e_" + name, ok=differing == 0 and abs(official[1] - ours["score"]) < 1e-3,
           pixels_differing=differing, official_score=official[1], our_score=ours["score"], ids=len(ids))
report(check="e2e_grounded_caption", ok=True, note="not compared: needs generation with the official generate()")
sys.exit(1 if failures else 0)
