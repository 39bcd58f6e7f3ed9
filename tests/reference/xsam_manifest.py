#!/usr/bin/env python3
"""Official X-SAM state-dict names and shapes, derived from the reference module definitions.

Usage:  python3 tests/reference/xsam_manifest.py models/xsam-phi3-siglip2-samL.json > tests/data/xsam_manifest.tsv

Standard library only. Each block below walks the constructor of the official module, in the order it
registers parameters, and names the source it follows (wanghao9610/X-SAM, branch AAAI26_Archive, and
the Hugging Face transformers classes X-SAM builds from their pretrained configs):

  XSamModel.__init__                        xsam/xsam/model/xsam.py
    llm             AutoModelForCausalLM(Phi-3-mini-4k-instruct), token embeddings resized to
                    len(tokenizer) = 32011 + 3 special tokens (<SEG>, <p>, </p>)    -> transformers Phi3ForCausalLM
    visual_encoder  SiglipVisionModel(siglip2-so400m-patch14-384)                   -> transformers SiglipVisionModel
    segmentor       XSegmentor(encoder=SamModel(sam-vit-large), decoder=Mask2FormerModel(...), open_cls=True)
                    xsam/xsam/model/segmentors/x_segmentor.py: keeps encoder.vision_encoder as "encoder",
                    decoder.pixel_level_module.decoder as "pixel_decoder", decoder.transformer_module as
                    "decoder", encoder.shared_image_embedding (a persistent buffer) and logit_scale [1].
                    xsam/xsam/model/segmentors/sam/modeling_sam.py (SamVisionEncoder),
                    xsam/xsam/model/segmentors/mask2former/modeling_mask2former.py (Mask2FormerPixelDecoder,
                    Mask2FormerTransformerModule)
    visual_projector, seg_projector, llm_projector  DynamicProjectorModel (modules/projector/modeling_projector.py):
                    model = Sequential(Linear(in * (1/ratio)^2, out), GELU, Linear(out, out))
    seg_connector   ConnectorModel(connector_type="conv") (modules/connector/modeling_connector.py): one
                    ConvConnectorLayer per level of seg_select_layers[-num_feature_levels:]:
                    Sequential(Conv1x1 no bias, SamLayerNorm, Conv3x3 no bias, SamLayerNorm, Conv1x1 no bias, SamLayerNorm)
    vision_sampler  SamplerModel(sampler_type="naive"): AdaptiveMaxPool1d only, no parameters
    bg_embeds       nn.Embedding(1, decoder hidden_dim)

XSamModel.state_dict() keeps every key of these prefixes (no part is frozen in the s3 config).
The JSON model config gives the widths (see models/*.json); nothing else is read.
"""
import json
import math
import sys


def linear(prefix, n_in, n_out, bias=True):
    out = [(prefix + ".weight", [n_out, n_in])]
    if bias:
        out.append((prefix + ".bias", [n_out]))
    return out


def norm(prefix, n):
    return [(prefix + ".weight", [n]), (prefix + ".bias", [n])]


def conv(prefix, n_in, n_out, k, bias=True):
    out = [(prefix + ".weight", [n_out, n_in, k, k])]
    if bias:
        out.append((prefix + ".bias", [n_out]))
    return out


def phi3(c):
    # transformers Phi3ForCausalLM: model.embed_tokens, model.layers.N.{self_attn.qkv_proj, self_attn.o_proj,
    # mlp.gate_up_proj, mlp.down_proj, input_layernorm, post_attention_layernorm}, model.norm, lm_head (no biases).
    h, inter, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    heads = c["num_attention_heads"]
    kv = c.get("num_key_value_heads", heads)
    hd = h // heads
    out = [("model.embed_tokens.weight", [v, h])]
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        out += linear(p + "self_attn.o_proj", heads * hd, h, False)
        out += linear(p + "self_attn.qkv_proj", h, (heads + 2 * kv) * hd, False)
        out += linear(p + "mlp.gate_up_proj", h, 2 * inter, False)
        out += linear(p + "mlp.down_proj", inter, h, False)
        out += [(p + "input_layernorm.weight", [h]), (p + "post_attention_layernorm.weight", [h])]
    out.append(("model.norm.weight", [h]))
    if not c.get("tie_word_embeddings", False):
        out.append(("lm_head.weight", [v, h]))
    return out


def siglip(c):
    # transformers SiglipVisionModel -> vision_model = SiglipVisionTransformer(embeddings, encoder,
    # post_layernorm, head = SiglipMultiheadAttentionPoolingHead(probe, attention=nn.MultiheadAttention,
    # layernorm, mlp)). position_ids is a non-persistent buffer.
    h, inter, p = c["hidden_size"], c["intermediate_size"], c["patch_size"]
    n = (c["image_size"] // p) ** 2
    out = conv("vision_model.embeddings.patch_embedding", c.get("num_channels", 3), h, p)
    out.append(("vision_model.embeddings.position_embedding.weight", [n, h]))
    for i in range(c["num_hidden_layers"]):
        q = "vision_model.encoder.layers.%d." % i
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            out += linear(q + "self_attn." + proj, h, h)
        out += norm(q + "layer_norm1", h)
        out += linear(q + "mlp.fc1", h, inter)
        out += linear(q + "mlp.fc2", inter, h)
        out += norm(q + "layer_norm2", h)
    out += norm("vision_model.post_layernorm", h)
    if c.get("vision_use_head", True):
        out.append(("vision_model.head.probe", [1, 1, h]))
        out.append(("vision_model.head.attention.in_proj_weight", [3 * h, h]))
        out.append(("vision_model.head.attention.in_proj_bias", [3 * h]))
        out += linear("vision_model.head.attention.out_proj", h, h)
        out += norm("vision_model.head.layernorm", h)
        out += linear("vision_model.head.mlp.fc1", h, inter)
        out += linear("vision_model.head.mlp.fc2", inter, h)
    return out


def sam_encoder(c):
    # SamVisionEncoder: patch_embed.projection, pos_embed [1, G, G, C], layers.N (SamVisionLayer:
    # layer_norm1, attn = SamVisionAttention(qkv, proj, rel_pos_h/w [2*size-1, head_dim] with size = window
    # or the whole grid for global blocks), layer_norm2, mlp = SamMLPBlock(lin1, lin2)), neck.
    h, p, g = c["hidden_size"], c["patch_size"], c["image_size"] // c["patch_size"]
    hd = h // c["num_attention_heads"]
    out = conv("patch_embed.projection", c.get("num_channels", 3), h, p)
    if c.get("use_abs_pos", True):
        out.append(("pos_embed", [1, g, g, h]))
    for i in range(c["num_hidden_layers"]):
        q = "layers.%d." % i
        size = g if i in c["global_attn_indexes"] else c["window_size"]
        out += norm(q + "layer_norm1", h)
        out += linear(q + "attn.qkv", h, 3 * h, c.get("qkv_bias", True))
        out += linear(q + "attn.proj", h, h)
        if c.get("use_rel_pos", True):
            out.append((q + "attn.rel_pos_h", [2 * size - 1, hd]))
            out.append((q + "attn.rel_pos_w", [2 * size - 1, hd]))
        out += norm(q + "layer_norm2", h)
        out += linear(q + "mlp.lin1", h, c["mlp_dim"])
        out += linear(q + "mlp.lin2", c["mlp_dim"], h)
    oc = c["output_channels"]
    out += conv("neck.conv1", h, oc, 1, False)
    out += norm("neck.layer_norm1", oc)
    out += conv("neck.conv2", oc, oc, 3, False)
    out += norm("neck.layer_norm2", oc)
    return out


def connector_channels(cfg):
    sam_w = cfg["seg_encoder"]["hidden_size"]
    return [int(round(sam_w / s)) for s in cfg["connector"]["scale_factors"]]


def pixel_decoder(cfg):
    # Mask2FormerPixelDecoder(config, feature_channels=[512, 1024, 2048]): level_embed [L, D];
    # input_projections (lowest resolution first) = Sequential(Conv1x1, GroupNorm(32, D));
    # encoder.layers.N = Mask2FormerPixelDecoderEncoderLayer(self_attn = deformable attention
    # (sampling_offsets, attention_weights, value_proj, output_proj), self_attn_layer_norm, fc1, fc2,
    # final_layer_norm); mask_projection; adapter_i / layer_i for the extra FPN levels.
    c = cfg["pixel_decoder"]
    d, L = c["feature_size"], c["num_feature_levels"]
    heads, pts = c["num_attention_heads"], c.get("num_points", 4)
    ch = connector_channels(cfg)
    out = [("level_embed", [L, d])]
    for i, n_in in enumerate(ch[-L:][::-1]):
        out += conv("input_projections.%d.0" % i, n_in, d, 1)
        out += norm("input_projections.%d.1" % i, d)
    for i in range(c["encoder_layers"]):
        q = "encoder.layers.%d." % i
        out += linear(q + "self_attn.sampling_offsets", d, heads * L * pts * 2)
        out += linear(q + "self_attn.attention_weights", d, heads * L * pts)
        out += linear(q + "self_attn.value_proj", d, d)
        out += linear(q + "self_attn.output_proj", d, d)
        out += norm(q + "self_attn_layer_norm", d)
        out += linear(q + "fc1", d, c["encoder_feedforward_dim"])
        out += linear(q + "fc2", c["encoder_feedforward_dim"], d)
        out += norm(q + "final_layer_norm", d)
    out += conv("mask_projection", d, c["mask_feature_size"], 1)
    strides = c["feature_strides"][-L:]
    n_fpn = int(round(math.log2(min(strides)) - math.log2(c["common_stride"])))
    for i in range(n_fpn):
        out += conv("adapter_%d.0" % (i + 1), ch[i], d, 1, False)
        out += norm("adapter_%d.1" % (i + 1), d)
        out += conv("layer_%d.0" % (i + 1), d, d, 3, False)
        out += norm("layer_%d.1" % (i + 1), d)
    return out


def transformer_module(cfg):
    # Mask2FormerTransformerModule: queries_embedder, queries_features (nn.Embedding(num_queries, D)),
    # input_projections is a plain list of empty Sequentials (feature_size == hidden_dim: nothing
    # registered), decoder = Mask2FormerMaskedAttentionDecoder(decoder_layers - 1 layers of self_attn
    # (k/v/q/out_proj), self_attn_layer_norm, cross_attn = nn.MultiheadAttention, cross_attn_layer_norm,
    # fc1, fc2, final_layer_norm; layernorm; mask_predictor.mask_embedder = 3 x PredictionBlock(Linear)),
    # level_embed = nn.Embedding(L, D).
    c = cfg["mask_decoder"]
    d = c["hidden_dim"]
    mask_dim = cfg["pixel_decoder"]["mask_feature_size"]
    L = cfg["pixel_decoder"]["num_feature_levels"]
    out = [("queries_embedder.weight", [c["num_queries"], d]), ("queries_features.weight", [c["num_queries"], d])]
    for i in range(c["decoder_layers"] - 1):
        q = "decoder.layers.%d." % i
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            out += linear(q + "self_attn." + proj, d, d)
        out += norm(q + "self_attn_layer_norm", d)
        out.append((q + "cross_attn.in_proj_weight", [3 * d, d]))
        out.append((q + "cross_attn.in_proj_bias", [3 * d]))
        out += linear(q + "cross_attn.out_proj", d, d)
        out += norm(q + "cross_attn_layer_norm", d)
        out += linear(q + "fc1", d, c["dim_feedforward"])
        out += linear(q + "fc2", c["dim_feedforward"], d)
        out += norm(q + "final_layer_norm", d)
    out += norm("decoder.layernorm", d)
    dims = [(d, d), (d, d), (d, mask_dim)]
    for i, (a, b) in enumerate(dims):
        out += linear("decoder.mask_predictor.mask_embedder.%d.0" % i, a, b)
    out.append(("level_embed.weight", [L, d]))
    return out


def projector(prefix, n_in, n_out, depth=2, ratio=1.0):
    k = int(round(1 / ratio))
    out = linear(prefix + ".model.0", n_in * k * k, n_out)
    for i in range(1, depth):
        out += linear(prefix + ".model.%d" % (2 * i), n_out, n_out)
    return out


def connector(cfg):
    c = cfg["connector"]
    sam_w = cfg["seg_encoder"]["hidden_size"]
    hid = c["hidden_channels"]
    bias = c.get("bias", False)
    out = []
    for i, s in enumerate(c["scale_factors"]):
        q = "seg_connector.model.%d.model." % i
        o = int(round(sam_w * s))
        out += conv(q + "0", sam_w, hid, 1, bias)
        out += norm(q + "1", hid)
        out += conv(q + "2", hid, hid, 3, bias)
        out += norm(q + "3", hid)
        out += conv(q + "4", hid, o, 1, bias)
        out += norm(q + "5", o)
    return out


def manifest(cfg, with_llm=True):
    """[(name, shape, kind)] with kind "param" or "buffer" (persistent buffers no module reads)."""
    out = []
    if with_llm:
        out += [("llm." + n, s) for n, s in phi3(cfg["llm"])]
    out += [("visual_encoder." + n, s) for n, s in siglip(cfg["visual_encoder"])]
    out += [("segmentor.encoder." + n, s) for n, s in sam_encoder(cfg["seg_encoder"])]
    out += [("segmentor.pixel_decoder." + n, s) for n, s in pixel_decoder(cfg)]
    out += [("segmentor.decoder." + n, s) for n, s in transformer_module(cfg)]
    out.append(("segmentor.logit_scale", [1]))
    llm_w = cfg["llm"]["hidden_size"]
    p = cfg["projector"]
    depth = p.get("depth", 2)
    out += projector("visual_projector", cfg["visual_encoder"]["hidden_size"], llm_w, depth)
    out += projector("seg_projector", cfg["seg_encoder"]["hidden_size"], llm_w, depth, p.get("seg_downsample_ratio", 0.5))
    out += projector("llm_projector", llm_w, cfg["mask_decoder"]["hidden_dim"], depth)
    out += connector(cfg)
    out.append(("bg_embeds.weight", [1, cfg["mask_decoder"]["hidden_dim"]]))
    rows = [(n, s, "param") for n, s in out]
    # SamPromptEncoderConfig.hidden_size (= the neck width) // 2 random Fourier features, persistent buffer.
    rows.append(("segmentor.shared_image_embedding.positional_embedding",
                 [2, cfg["seg_encoder"]["output_channels"] // 2], "buffer"))
    return rows


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    rows = manifest(cfg)
    total = sum(math.prod(s) for n, s, k in rows if k == "param")
    print("# X-SAM parameter manifest derived by tests/reference/xsam_manifest.py from %s" % sys.argv[1])
    print("# name\tshape\tkind (param: a module parameter; buffer: a persistent buffer no module reads)")
    print("# total parameters: %d" % total)
    for n, s, k in sorted(rows):
        print("%s\t%s\t%s" % (n, ",".join(str(x) for x in s), k))


if __name__ == "__main__":
    main()
