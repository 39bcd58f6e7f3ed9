#!/usr/bin/env python3
"""Golden inputs/outputs for the X-SAM vision half, from Hugging Face transformers' own modules.

Usage:  python3 tests/reference/make_goldens_vision.py OUT_DIR        (torch, transformers, safetensors, numpy)

Builds, in fp32 on the CPU with seeded random weights, the tiny configuration of models/xsam-tiny.json:
  - transformers SamVisionEncoder           -> segmentor.encoder.*      (all hidden states, neck output)
  - transformers SiglipVisionModel          -> visual_encoder.*         (all hidden states, post-LN output)
  - transformers Mask2FormerPixelDecoder    -> segmentor.pixel_decoder.* (mask features, multi-scale features)
  - transformers Mask2FormerTransformerModule -> segmentor.decoder.*    (per-layer query states and masks;
    X-SAM's LLM conditioning, an embedding added to every content query, is applied by adding it to
    queries_features.weight for the reference run: the C++ side receives the original weight and the
    embedding separately)
  - the parts with no transformers counterpart (projectors, pixel shuffle, segmentation connector,
    cosine class scoring) written out here from X-SAM's definitions.
The chain is the real data flow: SAM hidden states -> connector -> pixel decoder -> transformer decoder.

Writes OUT_DIR/xsam_vision_tiny_weights.safetensors (every non-LLM parameter under its official
X-SAM name) and OUT_DIR/xsam_vision_tiny_io.safetensors (inputs and outputs), plus a
xsam_vision_tiny_info.json (versions, what was produced). It checks that the renamed transformers
state dicts have exactly the names and shapes tests/reference/xsam_manifest.py derives for the tiny
config, and stops with the differences listed when they do not.

Without transformers (local smoke test only) it still writes the files with random stand-ins for the
transformers parts and marks them "partial" in the info file; such files are not goldens.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import xsam_manifest  # noqa: E402

torch.manual_seed(0)
torch.set_grad_enabled(False)
DT = torch.float32


def log(*a):
    print("[goldens-vision]", *a, flush=True)


def randomize(module, seed, std=0.2):
    """Deterministic, non-trivial weights: matrices N(0, std/sqrt(fan_in)*...), norms around 1."""
    g = torch.Generator().manual_seed(seed)
    for name, p in module.named_parameters():
        r = torch.randn(p.shape, generator=g, dtype=torch.float64)
        leaf = name.rsplit(".", 1)[-1]
        is_norm = p.dim() == 1 and any(k in name for k in ("norm", "layernorm")) or (
            p.dim() == 1 and _is_group_norm(module, name))
        if is_norm and leaf == "weight":
            v = 1.0 + 0.2 * r
        elif is_norm:
            v = 0.2 * r
        elif p.dim() >= 2:
            fan_in = max(1, p[0].numel())
            v = r / math.sqrt(fan_in)
        else:
            v = 0.1 * r
        p.copy_(v.to(p.dtype))


def _is_group_norm(module, name):
    mod_name = name.rsplit(".", 1)[0]
    try:
        m = module.get_submodule(mod_name)
    except Exception:
        return False
    return isinstance(m, (torch.nn.GroupNorm, torch.nn.LayerNorm))


def sd_named(module, prefix):
    return {prefix + k: v.detach().to(DT).contiguous().clone() for k, v in module.state_dict().items()}


def check_names(got, expected, what):
    """got: {name: tensor}; expected: [(name, shape)]."""
    exp = {n: list(s) for n, s in expected}
    missing = sorted(set(exp) - set(got))
    extra = sorted(set(got) - set(exp))
    bad = sorted(n for n in set(exp) & set(got) if list(got[n].shape) != exp[n])
    if missing or extra or bad:
        msg = ["%s: the renamed transformers state dict differs from the X-SAM manifest" % what]
        msg += ["  missing: %s %s" % (n, exp[n]) for n in missing]
        msg += ["  unexpected: %s %s" % (n, list(got[n].shape)) for n in extra]
        msg += ["  shape: %s %s != %s" % (n, list(got[n].shape), exp[n]) for n in bad]
        raise SystemExit("\n".join(msg))


def save(tensors, path, meta):
    # clone(): outputs can alias each other (transformers 5 returns last_hidden_state as hidden_states[-1])
    tensors = {k: v.detach().to(torch.float32).contiguous().cpu().clone() for k, v in tensors.items()}
    try:
        from safetensors.torch import save_file
        save_file(tensors, path, metadata=meta)
        return
    except ImportError:
        pass
    # Minimal writer (local smoke test without the safetensors package): same file format.
    header, blobs, off = {"__metadata__": meta}, [], 0
    for k in sorted(tensors):
        b = tensors[k].numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(tensors[k].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---- parts written out from X-SAM's definitions (no transformers counterpart) -------------------

def pixel_shuffle(x, s):
    """InternVL pixel shuffle of [B, H, W, C] by s."""
    b, h, w, c = x.shape
    x = x.reshape(b, h, int(w * s), int(c / s)).permute(0, 2, 1, 3).contiguous()
    x = x.view(b, int(w * s), int(h * s), int(c / (s * s))).permute(0, 2, 1, 3).contiguous()
    return x


def layer_norm_2d(x, w, b, eps=1e-6):
    u = x.mean(1, keepdim=True)
    v = (x - u).pow(2).mean(1, keepdim=True)
    return w[None, :, None, None] * ((x - u) / torch.sqrt(v + eps)) + b[None, :, None, None]


def make_linear(W, prefix, n_in, n_out, g, bias=True):
    W[prefix + ".weight"] = torch.randn(n_out, n_in, generator=g) / math.sqrt(n_in)
    if bias:
        W[prefix + ".bias"] = 0.1 * torch.randn(n_out, generator=g)


def projector_forward(W, prefix, x):
    x = F.linear(x, W[prefix + ".model.0.weight"], W[prefix + ".model.0.bias"])
    return F.linear(F.gelu(x), W[prefix + ".model.2.weight"], W[prefix + ".model.2.bias"])


def make_connector(W, cfg, g):
    c = cfg["connector"]
    sam_w, hid = cfg["seg_encoder"]["hidden_size"], c["hidden_channels"]
    for i, s in enumerate(c["scale_factors"]):
        q = "seg_connector.model.%d.model." % i
        o = int(round(sam_w * s))
        W[q + "0.weight"] = torch.randn(hid, sam_w, 1, 1, generator=g) / math.sqrt(sam_w)
        W[q + "2.weight"] = torch.randn(hid, hid, 3, 3, generator=g) / math.sqrt(hid * 9)
        W[q + "4.weight"] = torch.randn(o, hid, 1, 1, generator=g) / math.sqrt(hid)
        for k, n in (("1", hid), ("3", hid), ("5", o)):
            W[q + k + ".weight"] = 1 + 0.2 * torch.randn(n, generator=g)
            W[q + k + ".bias"] = 0.2 * torch.randn(n, generator=g)


def connector_forward(W, cfg, hidden_states):
    c = cfg["connector"]
    outs = []
    for i, (layer, s) in enumerate(zip(c["select_layers"], c["scale_factors"])):
        q = "seg_connector.model.%d.model." % i
        x = hidden_states[layer].permute(0, 3, 1, 2)
        x = layer_norm_2d(F.conv2d(x, W[q + "0.weight"]), W[q + "1.weight"], W[q + "1.bias"])
        x = layer_norm_2d(F.conv2d(x, W[q + "2.weight"], padding=1), W[q + "3.weight"], W[q + "3.bias"])
        x = layer_norm_2d(F.conv2d(x, W[q + "4.weight"]), W[q + "5.weight"], W[q + "5.bias"])
        outs.append(pixel_shuffle(x.permute(0, 2, 3, 1), s).permute(0, 3, 1, 2).contiguous())
    return outs


# ---- transformers parts -------------------------------------------------------------------------

def build_sam(cfg, init=True):
    from transformers import SamVisionConfig
    from transformers.models.sam import modeling_sam as ms
    c = cfg["seg_encoder"]
    vc = SamVisionConfig(hidden_size=c["hidden_size"], output_channels=c["output_channels"],
                         num_hidden_layers=c["num_hidden_layers"], num_attention_heads=c["num_attention_heads"],
                         num_channels=3, image_size=c["image_size"], patch_size=c["patch_size"], hidden_act="gelu",
                         layer_norm_eps=c["layer_norm_eps"], qkv_bias=c["qkv_bias"], use_abs_pos=True,
                         use_rel_pos=True, window_size=c["window_size"],
                         global_attn_indexes=c["global_attn_indexes"], mlp_dim=c["mlp_dim"])
    try:
        vc._attn_implementation = "eager"
    except Exception:
        pass
    enc = ms.SamVisionEncoder(vc).eval()
    if init:
        enc = enc.to(DT)
        randomize(enc, 11)
    return enc


def run_sam(enc, pixels):
    hs = enc.patch_embed(pixels)
    if getattr(enc, "pos_embed", None) is not None:
        hs = hs + enc.pos_embed
    out = [hs]
    for layer in enc.layers:
        r = layer(hs)
        hs = r[0] if isinstance(r, (tuple, list)) else r
        out.append(hs)
    neck = enc.neck(hs)
    # Cross-check the per-layer loop against the module's own forward where it reports hidden states.
    try:
        ref = enc(pixels, output_hidden_states=True)
        rhs = ref.hidden_states if hasattr(ref, "hidden_states") else ref[1]
        if rhs is not None and len(rhs) == len(out):
            err = max(float((a - b).abs().max()) for a, b in zip(rhs, out))
            log("SAM: per-layer loop vs module forward, max abs diff %.3g" % err)
            assert err < 1e-4, "SAM per-layer loop disagrees with SamVisionEncoder.forward"
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001
        log("SAM: module forward with hidden states unavailable (%s); per-layer loop used" % e)
    return out, neck


def build_siglip(cfg):
    from transformers import SiglipVisionConfig, SiglipVisionModel
    c = cfg["visual_encoder"]
    vc = SiglipVisionConfig(hidden_size=c["hidden_size"], intermediate_size=c["intermediate_size"],
                            num_hidden_layers=c["num_hidden_layers"], num_attention_heads=c["num_attention_heads"],
                            num_channels=3, image_size=c["image_size"], patch_size=c["patch_size"],
                            hidden_act=c["hidden_act"], layer_norm_eps=c["layer_norm_eps"])
    try:
        vc.vision_use_head = True
        vc._attn_implementation = "eager"
    except Exception:
        pass
    m = SiglipVisionModel(vc).eval().to(DT)
    randomize(m, 12)
    return m


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


def build_pixel_decoder(cfg, mc):
    from transformers.models.mask2former import modeling_mask2former as mm
    pd = mm.Mask2FormerPixelDecoder(mc, feature_channels=xsam_manifest.connector_channels(cfg)).eval().to(DT)
    randomize(pd, 13)
    # Sizeable sampling offsets (a few pixels) so that bilinear sampling is exercised.
    g = torch.Generator().manual_seed(14)
    for layer in pd.encoder.layers:
        b = layer.self_attn.sampling_offsets.bias
        b.copy_(2.0 * torch.randn(b.shape, generator=g))
    return pd


def build_transformer_module(cfg, mc):
    from transformers.models.mask2former import modeling_mask2former as mm
    tm = mm.Mask2FormerTransformerModule(in_features=cfg["pixel_decoder"]["feature_size"], config=mc).eval().to(DT)
    randomize(tm, 15)
    return tm


def full_size_manifest(out_dir):
    """Names and shapes of the transformers modules at the released sizes (built on the meta device),
    compared with tests/reference/xsam_manifest.py's derivation. Writes xsam_vision_hf_manifest.tsv."""
    try:
        with open(os.path.join(ROOT, "models", "xsam-phi3-siglip2-samL.json")) as f:
            full = json.load(f)
        with torch.device("meta"):
            parts = [("segmentor.encoder.", build_sam(full, init=False)), ("visual_encoder.", build_siglip_meta(full))]
            mc = m2f_config(full)
            from transformers.models.mask2former import modeling_mask2former as mm
            parts.append(("segmentor.pixel_decoder.",
                          mm.Mask2FormerPixelDecoder(mc, feature_channels=xsam_manifest.connector_channels(full))))
            parts.append(("segmentor.decoder.", mm.Mask2FormerTransformerModule(
                in_features=full["pixel_decoder"]["feature_size"], config=mc)))
        rows = {}
        for prefix, m in parts:
            for k, v in m.state_dict().items():
                if not k.endswith("position_ids"):
                    if prefix == "visual_encoder." and not k.startswith("vision_model."):
                        k = "vision_model." + k  # transformers 5 dropped the level the checkpoint (4.x) has
                    rows[prefix + k] = list(v.shape)
        exp = {n: s for n, s, k in xsam_manifest.manifest(full, with_llm=False) if k == "param"}
        exp = {n: s for n, s in exp.items() if any(n.startswith(p) for p, _ in parts)}
        diff = sorted(set(rows) ^ set(exp)) + sorted(n for n in set(rows) & set(exp) if rows[n] != exp[n])
        with open(os.path.join(out_dir, "xsam_vision_hf_manifest.tsv"), "w") as f:
            f.write("# transformers modules at full size (meta device); differences from xsam_manifest.py: %d\n"
                    % len(diff))
            for n in sorted(rows):
                f.write("%s\t%s\n" % (n, ",".join(str(x) for x in rows[n])))
        log("full-size transformers manifest: %d entries, %d differences from the derivation%s" %
            (len(rows), len(diff), (": " + ", ".join(diff[:20])) if diff else ""))
    except Exception as e:  # noqa: BLE001
        log("full-size manifest check skipped: %s" % e)


def build_siglip_meta(cfg):
    from transformers import SiglipVisionConfig, SiglipVisionModel
    c = cfg["visual_encoder"]
    vc = SiglipVisionConfig(hidden_size=c["hidden_size"], intermediate_size=c["intermediate_size"],
                            num_hidden_layers=c["num_hidden_layers"], num_attention_heads=c["num_attention_heads"],
                            num_channels=3, image_size=c["image_size"], patch_size=c["patch_size"],
                            hidden_act=c["hidden_act"], layer_norm_eps=c["layer_norm_eps"])
    return SiglipVisionModel(vc)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.time()
    with open(os.path.join(ROOT, "models", "xsam-tiny.json")) as f:
        cfg = json.load(f)
    try:
        import transformers
        have_tf = True
        tf_version = transformers.__version__
    except ImportError:
        have_tf = False
        tf_version = None
        log("transformers is not installed: writing a PARTIAL smoke-test set (not goldens)")

    expected = {n: s for n, s, k in xsam_manifest.manifest(cfg, with_llm=False) if k == "param"}
    status = {}

    def attempt(name, fn, fallback):
        """Runs a transformers part; on any failure logs it, uses random stand-ins and marks it failed."""
        if not have_tf:
            status[name] = "partial"
            return fallback()
        try:
            r = fn()
            status[name] = "golden"
            return r
        except (Exception, SystemExit) as e:  # noqa: BLE001
            import traceback
            traceback.print_exc()
            log("%s FAILED (%s): random stand-ins written instead, marked failed" % (name, e))
            status[name] = "failed"
            return fallback()

    W, IO = {}, {}
    g = torch.Generator().manual_seed(1)
    se, ve = cfg["seg_encoder"], cfg["visual_encoder"]

    sam_px = torch.randn(1, 3, se["image_size"], se["image_size"], generator=g)
    sig_px = torch.randn(1, 3, ve["image_size"], ve["image_size"], generator=g)
    IO["sam_pixels"], IO["siglip_pixels"] = sam_px, sig_px

    # SAM ViT
    def sam_tf():
        sam = build_sam(cfg)
        Wsam = sd_named(sam, "segmentor.encoder.")
        check_names(Wsam, [(n, s) for n, s in expected.items() if n.startswith("segmentor.encoder.")], "SAM")
        sam_hs, neck = run_sam(sam, sam_px)
        return Wsam, sam_hs, neck

    def sam_fake():
        Wsam = {n: 0.1 * torch.randn(s, generator=g) for n, s in expected.items() if n.startswith("segmentor.encoder.")}
        grid = se["image_size"] // se["patch_size"]
        sam_hs = [torch.randn(1, grid, grid, se["hidden_size"], generator=g) for _ in range(se["num_hidden_layers"] + 1)]
        neck = torch.randn(1, se["output_channels"], grid, grid, generator=g)
        return Wsam, sam_hs, neck

    Wsam, sam_hs, neck = attempt("sam", sam_tf, sam_fake)
    W.update(Wsam)
    for i, h in enumerate(sam_hs):
        IO["sam_hidden_%d" % i] = h
    IO["sam_neck"] = neck

    # SigLIP
    def sig_tf():
        sig = build_siglip(cfg)
        Wsig = sd_named(sig, "visual_encoder.")
        Wsig = {k: v for k, v in Wsig.items() if not k.endswith("position_ids")}
        # transformers 5's SiglipVisionModel has no "vision_model." level in its state dict; 4.x had it.
        Wsig = {(k if k.startswith("visual_encoder.vision_model.") else
                 "visual_encoder.vision_model." + k[len("visual_encoder."):]): v for k, v in Wsig.items()}
        check_names(Wsig, [(n, s) for n, s in expected.items() if n.startswith("visual_encoder.")], "SigLIP")
        so = sig(pixel_values=sig_px, output_hidden_states=True)
        return Wsig, list(so.hidden_states), so.last_hidden_state

    def sig_fake():
        Wsig = {n: 0.1 * torch.randn(s, generator=g) for n, s in expected.items() if n.startswith("visual_encoder.")}
        n_tok = (ve["image_size"] // ve["patch_size"]) ** 2
        sig_hs = [torch.randn(1, n_tok, ve["hidden_size"], generator=g) for _ in range(ve["num_hidden_layers"] + 1)]
        return Wsig, sig_hs, sig_hs[-1]

    Wsig, sig_hs, sig_last = attempt("siglip", sig_tf, sig_fake)
    W.update(Wsig)
    for i, h in enumerate(sig_hs):
        IO["siglip_hidden_%d" % i] = h
    IO["siglip_last_hidden_state"] = sig_last

    # Projectors (X-SAM DynamicProjectorModel: Linear, GELU(erf), Linear)
    llm_w, dec_w = cfg["llm"]["hidden_size"], cfg["mask_decoder"]["hidden_dim"]
    ratio = cfg["projector"]["seg_downsample_ratio"]
    k = int(round(1 / ratio))
    for name, n_in, n_out in (("visual_projector", ve["hidden_size"], llm_w),
                              ("seg_projector", se["hidden_size"] * k * k, llm_w),
                              ("llm_projector", llm_w, dec_w)):
        make_linear(W, name + ".model.0", n_in, n_out, g)
        make_linear(W, name + ".model.2", n_out, n_out, g)
    IO["visual_tokens"] = projector_forward(W, "visual_projector", sig_hs[ve["select_layer"]])
    sel = sam_hs[se["llm_select_layer"]]
    shuffled = pixel_shuffle(sel, ratio)
    IO["sam_shuffled"] = shuffled
    IO["seg_tokens"] = projector_forward(W, "seg_projector", shuffled.reshape(1, -1, shuffled.shape[-1]))
    llm_hidden = torch.randn(2, 5, llm_w, generator=g)
    IO["llm_hidden"] = llm_hidden
    IO["llm_projected"] = projector_forward(W, "llm_projector", llm_hidden)

    # Segmentation connector
    make_connector(W, cfg, g)
    levels = connector_forward(W, cfg, sam_hs)
    for i, x in enumerate(levels):
        IO["connector_%d" % i] = x

    # Pixel decoder and transformer decoder
    d = cfg["pixel_decoder"]["feature_size"]
    nq = cfg["mask_decoder"]["num_queries"]
    seg_emb = torch.randn(1, dec_w, generator=g)

    def pd_tf():
        mc = m2f_config(cfg)
        pd = build_pixel_decoder(cfg, mc)
        Wpd = sd_named(pd, "segmentor.pixel_decoder.")
        check_names(Wpd, [(n, s) for n, s in expected.items() if n.startswith("segmentor.pixel_decoder.")],
                    "Mask2Former pixel decoder")
        try:
            po = pd(levels, output_hidden_states=False, output_attentions=False, return_dict=True)
        except TypeError:
            po = pd(levels)
        return Wpd, po.mask_features, list(po.multi_scale_features)

    def pd_fake():
        Wpd = {n: 0.1 * torch.randn(s, generator=g) for n, s in expected.items()
               if n.startswith("segmentor.pixel_decoder.")}
        ms = [torch.randn(1, d, x.shape[2], x.shape[3], generator=g) for x in levels[::-1]]
        mf = torch.randn(1, d, levels[0].shape[2], levels[0].shape[3], generator=g)
        return Wpd, mf, ms

    Wpd, mask_features, ms = attempt("pixel_decoder", pd_tf, pd_fake)

    def tm_tf():
        mc = m2f_config(cfg)
        tm = build_transformer_module(cfg, mc)
        Wtm = sd_named(tm, "segmentor.decoder.")
        check_names(Wtm, [(n, s) for n, s in expected.items() if n.startswith("segmentor.decoder.")],
                    "Mask2Former transformer module")
        orig = tm.queries_features.weight.detach().clone()
        tm.queries_features.weight.copy_(orig + seg_emb)
        to = tm(multi_scale_features=ms, mask_features=mask_features, output_hidden_states=True,
                output_attentions=False)
        tm.queries_features.weight.copy_(orig)
        states = [s.transpose(0, 1) if s.shape[1] == 1 and s.shape[0] != 1 else s
                  for s in to.intermediate_hidden_states]  # [Q, B, D] -> [B, Q, D]
        return Wtm, states, list(to.masks_queries_logits)

    def tm_fake():
        Wtm = {n: 0.1 * torch.randn(s, generator=g) for n, s in expected.items() if n.startswith("segmentor.decoder.")}
        states = [torch.randn(1, nq, dec_w, generator=g) for _ in range(cfg["mask_decoder"]["decoder_layers"])]
        masks = [torch.randn(1, nq, levels[0].shape[2], levels[0].shape[3], generator=g)
                 for _ in range(cfg["mask_decoder"]["decoder_layers"])]
        return Wtm, states, masks

    Wtm, states, masks = attempt("decoder", tm_tf, tm_fake)
    W.update(Wpd)
    W.update(Wtm)
    IO["mask_features"] = mask_features
    for i, x in enumerate(ms):
        IO["multi_scale_%d" % i] = x
    IO["seg_embedding"] = seg_emb
    for i, (s, m) in enumerate(zip(states, masks)):
        IO["decoder_states_%d" % i] = s
        IO["decoder_masks_%d" % i] = m

    # Cosine class scoring (XSegmentor.get_class_prediction) with bg_embeds last
    W["segmentor.logit_scale"] = torch.tensor([math.log(1 / 0.07)]) + 0.1 * torch.randn(1, generator=g)
    W["bg_embeds.weight"] = torch.randn(1, dec_w, generator=g)
    phrases = torch.randn(1, 3, dec_w, generator=g)
    IO["phrase_embeddings"] = phrases
    cond = torch.cat([phrases, W["bg_embeds.weight"][None]], 1)
    q = F.normalize(states[-1], dim=-1)
    cnd = F.normalize(cond, dim=-1)
    IO["class_logits"] = torch.clamp(W["segmentor.logit_scale"].exp() * torch.einsum("bqd,bcd->bqc", q, cnd),
                                     min=-500, max=500)

    check_names(W, list(expected.items()), "all non-LLM weights")
    overall = "golden" if all(v == "golden" for v in status.values()) else "partial"
    meta = {"status": overall, "torch": torch.__version__, "transformers": str(tf_version),
            "config": "models/xsam-tiny.json"}
    for k, v in status.items():
        meta["status_" + k] = v
    save(W, os.path.join(out_dir, "xsam_vision_tiny_weights.safetensors"), meta)
    save(IO, os.path.join(out_dir, "xsam_vision_tiny_io.safetensors"), meta)
    info = dict(meta)
    info.update({"seconds": round(time.time() - t0, 2), "weights": len(W), "io": sorted(IO)})
    with open(os.path.join(out_dir, "xsam_vision_tiny_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    if have_tf:
        full_size_manifest(out_dir)
    log("wrote %d weights and %d io tensors (%s: %s) in %.1f s" % (len(W), len(IO), overall, status, time.time() - t0))
    if have_tf and overall != "golden":
        sys.exit(1)


if __name__ == "__main__":
    main()
