#!/usr/bin/env python3
"""Eager PyTorch timing of the X-SAM stages with the Hugging Face reference modules, random weights,
the same shapes as `xsam-cli bench-xsam` (models/*.json), so the two can be compared stage by stage.

  python3 tests/reference/eager_bench.py --config models/xsam-phi3-siglip2-samL.json --device cuda \
      --dtype bf16 [--compare BENCH_XSAM.json] [--out EAGER.json]

Stages (each timed with torch.cuda.synchronize() around it; median over --repeats after a warm-up):
  prepare: preprocess (both resizes/normalisations on the device), siglip (SiglipVisionModel, all
           hidden states), sam (SamVisionEncoder, all hidden states), projectors (visual + seg
           projector MLPs, pixel shuffle, the 3-level conv connector), pixel_decoder
           (Mask2FormerPixelDecoder), llm_prefix (Phi3ForCausalLM over BOS, <|user|> and the 1753 image
           embeddings, use_cache=True)
  prompt:  prompt_llm (Phi3 over the question on the prefix cache; the cache is cropped back after
           every run, untimed), decoder (llm_projector + Mask2FormerTransformerModule with the <SEG>
           embedding added to the content queries, as X-SAM does), postprocess (the last level's masks
           upsampled to 1024, cropped, resized to the image, thresholded), region (interactive / VGD:
           the region feature: 256 points sampled from the seg tokens, max-pooled)
Per-prompt totals: referring = prompt_llm + decoder + postprocess; interactive and VGD add region.
With --compare (a bench-xsam JSON) it prints eager / ours per stage and per prompt (> 1: ours faster).

Without transformers (e.g. Debian's python3-torch here) the HF stages cannot be built: the script
says so, times the plain-PyTorch stages only and exits 3 unless --allow-missing is given. With
--config models/xsam-tiny.json it runs at tiny shapes on the CPU in seconds.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print("eager_bench: PyTorch is not importable (%s); install python3-torch or use the GPU machine's wheel" % e,
          file=sys.stderr)
    sys.exit(2)

try:
    import transformers  # noqa: F401
    HAVE_TF = True
    TF_VERSION = transformers.__version__
except Exception as e:  # noqa: BLE001
    HAVE_TF = False
    TF_VERSION = "missing (%s)" % e


def log(*a):
    print("eager_bench:", *a, file=sys.stderr, flush=True)


class Timer:
    def __init__(self, device, warmup, repeats):
        self.device, self.warmup, self.repeats = device, warmup, repeats
        self.stages = {}

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def time(self, name, fn, after=None):
        """Runs fn warmup + repeats times; records the median ms under `name`; returns the last result.
        `after` (untimed) runs after each call (e.g. to crop a cache back)."""
        out, ms = None, []
        for i in range(self.warmup + self.repeats):
            self.sync()
            t0 = time.perf_counter()
            out = fn()
            self.sync()
            if i >= self.warmup:
                ms.append((time.perf_counter() - t0) * 1000.0)
            if after is not None:
                after()
        self.stages[name] = round(statistics.median(ms), 2)
        return out


def randomize_(module, seed, std=0.02):
    """Small random weights (the default init of some HF modules leaves NaN-prone zeros/ones only),
    generated on the parameters' device (seconds for the 3.8 B-parameter LLM on a GPU)."""
    gens = {}
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.device not in gens:
                gens[p.device] = torch.Generator(device=p.device).manual_seed(seed)
            g = gens[p.device]
            r = torch.randn(p.shape, generator=g, device=p.device, dtype=torch.float32)
            if p.dim() == 1 and ("norm" in name or name.endswith("weight")):
                p.copy_(1.0 + 0.1 * r)
            elif p.dim() == 1:
                p.copy_(0.002 * r)
            else:
                p.copy_(std * r)


def mlp(n_in, n_hidden, n_out):
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.GELU(), nn.Linear(n_hidden, n_out))


class LayerNorm2d(nn.Module):
    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        return self.weight[:, None, None] * ((x - u) / torch.sqrt(s + self.eps)) + self.bias[:, None, None]


def pixel_shuffle(x, s):
    """InternVL-style pixel shuffle of [B, H, W, C] by scale s (0.5: H/2 x W/2 x 4C; 2: 2H x 2W x C/4)."""
    b, h, w, c = x.shape
    x = x.reshape(b, h, int(w * s), int(c / s)).permute(0, 2, 1, 3).contiguous()
    x = x.view(b, int(w * s), int(h * s), int(c / (s * s))).permute(0, 2, 1, 3).contiguous()
    return x


class Connector(nn.Module):
    def __init__(self, width, hidden, scales):
        super().__init__()
        self.scales = scales
        self.stacks = nn.ModuleList()
        for s in scales:
            out = int(round(width / (s * s)))
            self.stacks.append(nn.Sequential(nn.Conv2d(width, hidden, 1, bias=False), LayerNorm2d(hidden),
                                             nn.Conv2d(hidden, hidden, 3, padding=1, bias=False), LayerNorm2d(hidden),
                                             nn.Conv2d(hidden, out, 1, bias=False), LayerNorm2d(out)))

    def forward(self, feats):
        outs = []
        for x, s, st in zip(feats, self.scales, self.stacks):
            y = st(x.permute(0, 3, 1, 2))
            outs.append(pixel_shuffle(y.permute(0, 2, 3, 1), s).permute(0, 3, 1, 2).contiguous())
        return outs


def build_sam(c):
    from transformers import SamVisionConfig
    from transformers.models.sam import modeling_sam as ms
    vc = SamVisionConfig(hidden_size=c["hidden_size"], output_channels=c["output_channels"],
                         num_hidden_layers=c["num_hidden_layers"], num_attention_heads=c["num_attention_heads"],
                         num_channels=3, image_size=c["image_size"], patch_size=c["patch_size"], hidden_act="gelu",
                         layer_norm_eps=c["layer_norm_eps"], qkv_bias=c["qkv_bias"], use_abs_pos=True,
                         use_rel_pos=True, window_size=c["window_size"],
                         global_attn_indexes=c["global_attn_indexes"], mlp_dim=c["mlp_dim"])
    return ms.SamVisionEncoder(vc)


def build_siglip(c):
    from transformers import SiglipVisionConfig, SiglipVisionModel
    vc = SiglipVisionConfig(hidden_size=c["hidden_size"], intermediate_size=c["intermediate_size"],
                            num_hidden_layers=c["num_hidden_layers"], num_attention_heads=c["num_attention_heads"],
                            num_channels=3, image_size=c["image_size"], patch_size=c["patch_size"],
                            hidden_act=c["hidden_act"], layer_norm_eps=c["layer_norm_eps"])
    return SiglipVisionModel(vc)


def m2f_config(cfg):
    from transformers import Mask2FormerConfig
    p, d = cfg["pixel_decoder"], cfg["mask_decoder"]
    return Mask2FormerConfig(feature_size=p["feature_size"], mask_feature_size=p["mask_feature_size"],
                             hidden_dim=d["hidden_dim"], encoder_feedforward_dim=p["encoder_feedforward_dim"],
                             encoder_layers=p["encoder_layers"], decoder_layers=d["decoder_layers"],
                             num_attention_heads=d["num_attention_heads"], dim_feedforward=d["dim_feedforward"],
                             num_queries=d["num_queries"], common_stride=p["common_stride"],
                             num_feature_levels=p["num_feature_levels"], feature_strides=[4] + p["feature_strides"],
                             pre_norm=False, enforce_input_projection=False, dropout=0.0, num_labels=d["num_labels"])


def build_phi3(c, layers):
    from transformers import Phi3Config, Phi3ForCausalLM
    kw = dict(vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], intermediate_size=c["intermediate_size"],
              num_hidden_layers=layers, num_attention_heads=c["num_attention_heads"],
              num_key_value_heads=c["num_key_value_heads"], max_position_embeddings=c["max_position_embeddings"],
              rms_norm_eps=c["rms_norm_eps"], sliding_window=c["sliding_window"], tie_word_embeddings=False,
              pad_token_id=c.get("pad_token_id", 0), bos_token_id=c.get("bos_token_id", 1),
              eos_token_id=c.get("eos_token_id", 2), attention_dropout=0.0, resid_pdrop=0.0, embd_pdrop=0.0)
    try:
        return Phi3ForCausalLM(Phi3Config(**kw, rope_parameters={"rope_type": "default",
                                                                 "rope_theta": c["rope_theta"]}))
    except TypeError:
        return Phi3ForCausalLM(Phi3Config(**kw, rope_theta=c["rope_theta"]))


def sam_image_size(h, w, s):
    scale = s / max(h, w)
    return int(h * scale + 0.5), int(w * scale + 0.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "fp32"])
    ap.add_argument("--llm-layers", type=int, default=0, help="LLM depth override (0: the config's)")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--question-tokens", type=int, default=0,
                    help="question length on the prefix (0: bench-xsam's referring question_tokens from --compare, "
                         "else 40)")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--attn", default="sdpa", help="transformers attention implementation (sdpa or eager)")
    ap.add_argument("--compare", help="a bench-xsam JSON file: print eager / ours per stage")
    ap.add_argument("--out", help="write the JSON here too")
    ap.add_argument("--allow-missing", action="store_true", help="exit 0 even when transformers is missing")
    a = ap.parse_args()

    with open(a.config) as f:
        cfg = json.load(f)
    dev = torch.device(a.device)
    dt = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[a.dtype]
    if dev.type == "cpu" and dt != torch.float32:
        log("the CPU has no fast %s matmul: computing in fp32 on the CPU" % a.dtype)
        dt = torch.float32
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    ours = None
    if a.compare:
        try:
            with open(a.compare) as f:
                ours = json.loads(f.read().strip().splitlines()[-1])
        except Exception as e:  # noqa: BLE001
            log("cannot read --compare %s: %s" % (a.compare, e))
    qtok = a.question_tokens or (ours or {}).get("prompts", {}).get("referring", {}).get("question_tokens", 0) or 40
    T = Timer(dev, a.warmup, a.repeats)
    missing = []
    torch.manual_seed(0)

    def attn_impl(module):
        for m in module.modules():
            if hasattr(m, "config") and hasattr(m.config, "_attn_implementation"):
                try:
                    m.config._attn_implementation = a.attn
                except Exception:  # noqa: BLE001
                    pass
        return module

    def ready(build, seed):
        """Builds the module (directly on the device where torch supports `with torch.device(...)`),
        fills it with random weights there, casts to the benchmark dtype."""
        try:
            with torch.device(dev):
                module = build()
        except (TypeError, AttributeError):  # torch < 2: build on the CPU
            module = build()
        randomize_(module, seed)
        for prm in module.parameters():
            prm.requires_grad_(False)
        return attn_impl(module.eval().to(dev, dt))

    errors = {}

    def attempt(name, real, stand_in):
        """The HF stage when transformers can run it, else stand-in tensors of the same shapes."""
        if HAVE_TF:
            try:
                return real()
            except Exception as e:  # noqa: BLE001
                import traceback
                traceback.print_exc()
                errors[name] = "%s: %s" % (type(e).__name__, e)
                log("stage %s FAILED with transformers %s: %s" % (name, TF_VERSION, e))
                if dev.type == "cuda":
                    torch.cuda.empty_cache()
        missing.append(name)
        return stand_in()

    ve, se, lc = cfg["visual_encoder"], cfg["seg_encoder"], cfg["llm"]
    width = lc["hidden_size"]
    img = torch.randint(0, 256, (a.height, a.width, 3), dtype=torch.uint8, device=dev)

    with torch.inference_mode():
        # ---- preprocess: SigLIP (pad to square, resize) and SAM (resize long side, normalise, pad) ----
        def preprocess():
            x = img.permute(2, 0, 1).unsqueeze(0).float()
            s = max(a.height, a.width)
            sq = torch.full((1, 3, s, s), 127.0, device=dev)
            oy, ox = (s - a.height) // 2, (s - a.width) // 2
            sq[:, :, oy:oy + a.height, ox:ox + a.width] = x
            sig = F.interpolate(sq, size=(ve["image_size"], ve["image_size"]), mode="bicubic", align_corners=False)
            sig = (sig / 255.0 - 0.5) / 0.5
            sh, sw = sam_image_size(a.height, a.width, se["image_size"])
            sam = F.interpolate(x, size=(sh, sw), mode="bilinear", align_corners=False) / 255.0
            mean = torch.tensor([0.485, 0.456, 0.406], device=dev).view(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225], device=dev).view(1, 3, 1, 1)
            sam = F.pad((sam - mean) / std, (0, se["image_size"] - sw, 0, se["image_size"] - sh))
            return sig.to(dt), sam.to(dt)
        sig_px, sam_px = T.time("preprocess", preprocess)

        # ---- SigLIP ----
        n_sig = (ve["image_size"] // ve["patch_size"]) ** 2
        def siglip_real():
            siglip = ready(lambda: build_siglip(ve), 1)
            hs = T.time("siglip", lambda: siglip(pixel_values=sig_px, output_hidden_states=True).hidden_states)
            return hs[ve.get("select_layer", -2)]
        sig_feat = attempt("siglip", siglip_real,
                           lambda: torch.randn(1, n_sig, ve["hidden_size"], device=dev, dtype=dt))

        # ---- SAM ----
        grid = se["image_size"] // se["patch_size"]
        n_layers = se["num_hidden_layers"]
        def sam_real():
            sam = ready(lambda: build_sam(se), 2)

            def run_sam():
                r = sam(pixel_values=sam_px, output_hidden_states=True)
                return r.hidden_states if hasattr(r, "hidden_states") else r[1]
            hs = list(T.time("sam", run_sam))
            assert len(hs) == n_layers + 1, "SamVisionEncoder gave %d hidden states" % len(hs)
            return hs
        sam_hs = attempt("sam", sam_real, lambda: [torch.randn(1, grid, grid, se["hidden_size"], device=dev, dtype=dt)
                                                   for _ in range(n_layers + 1)])

        # ---- projectors + connector (plain PyTorch) ----
        vproj = ready(lambda: mlp(ve["hidden_size"], width, width), 3)
        sproj = ready(lambda: mlp(4 * se["hidden_size"], width, width), 4)
        con = cfg["connector"]
        conn = ready(lambda: Connector(se["hidden_size"], con["hidden_channels"], con["scale_factors"]), 5)
        llm_idx = se.get("llm_select_layer", -2) % len(sam_hs)

        def projectors():
            v = vproj(sig_feat)
            s = sproj(pixel_shuffle(sam_hs[llm_idx], 0.5).flatten(1, 2))
            lv = conn([sam_hs[i] for i in con["select_layers"]])
            return v, s, lv
        vis_tok, seg_tok, levels = T.time("projectors", projectors)
        del sam_hs

        # ---- pixel decoder ----
        pcfg, dcfg = cfg["pixel_decoder"], cfg["mask_decoder"]
        def pd_real():
            from transformers.models.mask2former import modeling_mask2former as mm
            pd = ready(lambda: mm.Mask2FormerPixelDecoder(m2f_config(cfg), feature_channels=[x.shape[1] for x in levels]), 6)
            po = T.time("pixel_decoder", lambda: pd(levels))
            return po.mask_features, list(po.multi_scale_features)

        def pd_fake():
            d = pcfg["feature_size"]
            return (torch.randn(1, pcfg["mask_feature_size"], levels[0].shape[2], levels[0].shape[3], device=dev,
                                dtype=dt),
                    [torch.randn(1, d, x.shape[2], x.shape[3], device=dev, dtype=dt) for x in levels[::-1]])
        mask_features, ms_feats = attempt("pixel_decoder", pd_real, pd_fake)

        # ---- LLM prefix and per-prompt LLM ----
        layers = a.llm_layers or lc["num_hidden_layers"]
        prefix = torch.cat([torch.randn(1, 2, width, device=dev, dtype=dt), vis_tok, seg_tok], 1)
        question = torch.randn(1, qtok, width, device=dev, dtype=dt)
        L0 = prefix.shape[1]
        def llm_real():
            llm = ready(lambda: build_phi3(lc, layers), 7)
            out = T.time("llm_prefix", lambda: llm.model(inputs_embeds=prefix, use_cache=True))
            cache = out.past_key_values
            assert hasattr(cache, "crop"), "the KV cache cannot be cropped back to the prefix"

            def crop():
                cache.crop(L0)
            h = T.time("prompt_llm", lambda: llm.model(inputs_embeds=question, past_key_values=cache,
                                                       use_cache=True).last_hidden_state, after=crop)
            return h
        hidden = attempt("llm", llm_real, lambda: torch.randn(1, qtok, width, device=dev, dtype=dt))

        # ---- decoder: llm_projector + Mask2Former transformer module with the <SEG> conditioning ----
        lproj = ready(lambda: mlp(width, dcfg["hidden_dim"], dcfg["hidden_dim"]), 8)
        def dec_real():
            from transformers.models.mask2former import modeling_mask2former as mm
            tm = ready(lambda: mm.Mask2FormerTransformerModule(in_features=pcfg["feature_size"], config=m2f_config(cfg)), 9)
            base_q = tm.queries_features.weight.detach().clone()

            def decode():
                seg = lproj(hidden)[:, -3]  # the <SEG> position
                tm.queries_features.weight.copy_(base_q + seg)
                r = tm(multi_scale_features=ms_feats, mask_features=mask_features, output_hidden_states=True,
                       output_attentions=False)
                return r.masks_queries_logits[-1]
            return T.time("decoder", decode)
        masks = attempt("decoder", dec_real,
                        lambda: torch.randn(1, dcfg["num_queries"], mask_features.shape[2], mask_features.shape[3],
                                            device=dev, dtype=dt))

        # ---- post-process: upsample to the SAM canvas, crop, resize to the image, threshold ----
        S = se["image_size"]
        sh, sw = sam_image_size(a.height, a.width, S)

        def post():
            m = F.interpolate(masks.float(), size=(S, S), mode="bilinear", align_corners=False)[:, :, :sh, :sw]
            m = F.interpolate(m, size=(a.height, a.width), mode="bilinear", align_corners=False)
            return (m > 0).cpu()
        T.time("postprocess", post)

        # ---- region feature (interactive / VGD): 256 points of the seg tokens, max-pooled ----
        side = int(math.isqrt(seg_tok.shape[1]))
        grid_tok = seg_tok.view(1, side, side, -1).permute(0, 3, 1, 2)
        region_mask = torch.zeros(S, S, dtype=torch.bool, device=dev)
        region_mask[S // 4:S // 2, S // 4:S // 2] = True

        def region():
            pts = region_mask.nonzero()
            idx = torch.linspace(0, pts.shape[0] - 1, 256, device=dev).long()
            p = pts[idx].float() / (S - 1) * 2 - 1
            g = p.flip(-1).view(1, 1, -1, 2).to(grid_tok.dtype)
            return F.grid_sample(grid_tok, g, mode="bilinear", align_corners=True).amax(-1)
        T.time("region", region)

    st = T.stages
    totals = {}
    prep_keys = ["preprocess", "siglip", "sam", "projectors", "pixel_decoder", "llm_prefix"]
    if all(k in st for k in prep_keys):
        totals["prepare"] = round(sum(st[k] for k in prep_keys), 2)
    if all(k in st for k in ("prompt_llm", "decoder", "postprocess")):
        ref = st["prompt_llm"] + st["decoder"] + st["postprocess"]
        totals["referring"] = round(ref, 2)
        totals["interactive"] = round(ref + st["region"], 2)
        totals["vgd"] = round(ref + st["region"], 2)
    res = {"bench": "eager", "torch": torch.__version__, "transformers": TF_VERSION, "device": str(dev),
           "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None, "dtype": str(dt),
           "attn": a.attn, "config": a.config, "llm_layers": layers, "prefix_tokens": L0, "question_tokens": qtok,
           "stages_ms": st, "totals_ms": totals, "missing_stages": missing, "errors": errors,
           "cuda_peak_allocated_mb": round(torch.cuda.max_memory_allocated(dev) / 2**20, 1)
           if dev.type == "cuda" else -1}
    if ours:
        ratio = {}
        for k, v in st.items():
            o = ours.get("stages_ms", {}).get(k)
            if o and k not in missing:
                ratio[k] = round(v / o, 2)
        for k, v in totals.items():
            o = ours.get("totals_ms", {}).get(k)
            if o:
                ratio["total." + k] = round(v / o, 2)
        res["speedup_eager_over_ours"] = ratio
        print("%-22s %12s %12s %8s" % ("stage", "eager ms", "ours ms", "eager/ours"), file=sys.stderr)
        for k in list(st) + ["total." + t for t in totals]:
            e = totals[k[6:]] if k.startswith("total.") else st[k]
            o = ours.get("totals_ms", {}).get(k[6:]) if k.startswith("total.") else ours.get("stages_ms", {}).get(k)
            print("%-22s %12.2f %12s %8s" % (k, e, "-" if o is None else "%.2f" % o,
                                             ratio.get(k, "-")), file=sys.stderr)
    text = json.dumps(res)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    if missing:
        log("transformers is %s: stages %s were NOT timed (stand-in tensors used)" % (TF_VERSION, ", ".join(missing)))
        if not a.allow_missing:
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
