#!/usr/bin/env python3
"""Goldens for the C++ Phi-3 decoder (core/xsam/phi3.*), from Hugging Face transformers' Phi3ForCausalLM.

Usage: python3 make_goldens_llm.py OUT_DIR     (writes OUT_DIR/llm_phi3_goldens.safetensors)

Cases (fp32 on the CPU, eager attention, seeded random weights, std 0.2 so the layers do real work):
  tiny    the LLM part of models/xsam-tiny.json; 20 token ids and 20 random input embeddings.
  window  2 layers, 4 heads, 2 key/value heads (GQA), sliding_window 6, 24 positions: longer than the
          window. Also the same weights without a window ("nowindow" outputs) so a reader can see whether
          transformers applied the window at all, and an incremental run (16 positions, then 8 more
          through HF's cache) for the cached path.
Tensor names: "<case>.llm.<HF parameter name>" (the X-SAM checkpoint layout under the "llm" prefix),
"<case>.inputs.ids|embeds", "<case>.outputs.*". The metadata key "configs" holds each case's config as
JSON, "versions" the library versions. Needs only torch, transformers, safetensors, numpy; runs in seconds.
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import Phi3Config, Phi3ForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
TINY_JSON = os.path.join(HERE, "..", "..", "models", "xsam-tiny.json")


def tiny_llm_section():
    fallback = dict(vocab_size=416, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
                    rope_theta=10000.0, rms_norm_eps=1e-5, sliding_window=255)
    try:
        with open(TINY_JSON) as f:
            llm = json.load(f)["llm"]
        return {k: llm[k] for k in fallback if k in llm} | {k: v for k, v in fallback.items() if k not in llm}
    except Exception as e:  # the committed config is preferred, but the goldens must not depend on it
        print("note: using the built-in tiny LLM config:", e)
        return fallback


def build(cfg, sliding_window):
    kwargs = dict(
        vocab_size=cfg["vocab_size"], hidden_size=cfg["hidden_size"], intermediate_size=cfg["intermediate_size"],
        num_hidden_layers=cfg["num_hidden_layers"], num_attention_heads=cfg["num_attention_heads"],
        num_key_value_heads=cfg["num_key_value_heads"], max_position_embeddings=cfg["max_position_embeddings"],
        rms_norm_eps=cfg["rms_norm_eps"], sliding_window=sliding_window, tie_word_embeddings=False,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, hidden_act="silu", attention_dropout=0.0,
        resid_pdrop=0.0, embd_pdrop=0.0)
    # rope theta: transformers 5.x keeps it in rope_parameters, 4.x takes rope_theta
    try:
        config = Phi3Config(**kwargs, rope_parameters={"rope_type": "default", "rope_theta": cfg["rope_theta"]})
    except TypeError:
        config = Phi3Config(**kwargs, rope_theta=cfg["rope_theta"])
    rp = getattr(config, "rope_parameters", None)
    theta = rp.get("rope_theta") if isinstance(rp, dict) and "rope_theta" in rp else getattr(config, "rope_theta", None)
    assert theta == cfg["rope_theta"], f"rope theta is {theta}, wanted {cfg['rope_theta']}"
    assert config.sliding_window == sliding_window, (config.sliding_window, sliding_window)
    try:
        config._attn_implementation = "eager"
    except Exception as e:  # the attention kernel does not change fp32 results beyond 1e-7
        print("note: could not select eager attention:", e)
    model = Phi3ForCausalLM(config).eval()
    return model


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))


def run(model, **kw):
    """Hidden states after the final norm (last_hidden_state) and logits."""
    with torch.no_grad():
        h = model.model(**kw, use_cache=False).last_hidden_state
        return h.float().contiguous(), model.lm_head(h).float().contiguous()


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    tensors, configs = {}, {}

    # --- tiny ---
    cfg = tiny_llm_section()
    model = build(cfg, cfg.get("sliding_window"))
    randomize(model, 1)
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(0, cfg["vocab_size"], (1, 20), generator=g)
    embeds = torch.randn(1, 20, cfg["hidden_size"], generator=g)
    h_ids, l_ids = run(model, input_ids=ids)
    h_emb, l_emb = run(model, inputs_embeds=embeds)
    for k, v in model.named_parameters():
        tensors["tiny.llm." + k] = v.detach().float().contiguous()
    tensors |= {"tiny.inputs.ids": ids.contiguous(), "tiny.inputs.embeds": embeds,
                "tiny.outputs.hidden_ids": h_ids, "tiny.outputs.logits_ids": l_ids,
                "tiny.outputs.hidden_embeds": h_emb, "tiny.outputs.logits_embeds": l_emb}
    configs["tiny"] = cfg

    # --- window ---
    wcfg = dict(vocab_size=61, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=64, rope_theta=10000.0, rms_norm_eps=1e-5,
                sliding_window=6)
    model = build(wcfg, 6)
    randomize(model, 3)
    g = torch.Generator().manual_seed(4)
    embeds = torch.randn(1, 24, wcfg["hidden_size"], generator=g)
    h, l = run(model, inputs_embeds=embeds)
    # incremental: 16 positions, then 8 through the cache
    with torch.no_grad():
        first = model.model(inputs_embeds=embeds[:, :16], use_cache=True)
        second = model.model(inputs_embeds=embeds[:, 16:], past_key_values=first.past_key_values, use_cache=True)
    h_inc = torch.cat([first.last_hidden_state, second.last_hidden_state], 1).float().contiguous()
    state = {k: v.detach().clone() for k, v in model.named_parameters()}
    nowin = build(wcfg, None)
    nowin.load_state_dict(state, strict=False)
    for k, v in nowin.named_parameters():
        assert torch.equal(v, state[k]), k
    h_nw, _ = run(nowin, inputs_embeds=embeds)
    for k, v in state.items():
        tensors["window.llm." + k] = v.float().contiguous()
    tensors |= {"window.inputs.embeds": embeds, "window.outputs.hidden": h, "window.outputs.logits": l,
                "window.outputs.hidden_incremental": h_inc, "window.outputs.hidden_nowindow": h_nw}
    configs["window"] = wcfg
    diff = ((h - h_nw).pow(2).sum() / h_nw.pow(2).sum()).item()
    inc = ((h_inc - h).pow(2).sum() / h.pow(2).sum()).item()
    print(f"window case: nmse(window, no window) = {diff:.3e} (0 would mean transformers ignored the window); "
          f"nmse(incremental, full) = {inc:.3e}")

    meta = {"configs": json.dumps(configs), "window_applied": str(diff > 1e-12).lower(),
            "versions": json.dumps({"torch": torch.__version__, "transformers": transformers.__version__})}
    path = os.path.join(out_dir, "llm_phi3_goldens.safetensors")
    save_file(tensors, path, metadata=meta)
    print("wrote", path, len(tensors), "tensors")


if __name__ == "__main__":
    main()
