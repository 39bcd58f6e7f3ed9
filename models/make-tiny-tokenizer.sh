#!/usr/bin/env bash
# Regenerates models/xsam-tiny.tokenizer.model: the SentencePiece model of the tiny test config
# (models/xsam-tiny.json). 402 pieces (3 control + 256 byte-fallback + 143 learned) so that with
# Phi-3's 11 added tokens and X-SAM's 3 (<SEG>, <p>, </p>) the vocabulary is 416 = llm.vocab_size.
# Trained like Llama/Phi-3's model: BPE, byte fallback, dummy prefix, no whitespace folding, identity
# normalisation, digits split. Deterministic (one thread, fixed input).
# Usage: models/make-tiny-tokenizer.sh [OUT.model]   (needs spm_train from Debian's `sentencepiece`)
set -euo pipefail
out="$(realpath -m "${1:-$(dirname "$0")/xsam-tiny.tokenizer.model}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/corpus.txt" <<'TXT'
Can you segment the bird in this image? Please generate the segmentation mask.
It is the bird. Sure, it is the mask. Sure, the segmentation mask of the cat on the left.
Can you segment the image based on the following categories: person, car, dog, cat, bird, tree, sky?
Please output the segmentation masks. Please output the corresponding segmentation mask.
Can you segment the image based on the following regions? Please output the corresponding mask.
Can you provide a brief description of the this image? Please output interleaved segmentation masks
for the corresponding phrases. A man riding a bike on the street next to a red car.
A woman holding an umbrella in the rain. Two dogs playing with a ball on the grass.
The stamp shows a bright yellow flower with green leaves and a small bee on the right.
Where is the person wearing a blue shirt? What object can be used to cut paper?
The apple on the table, the bottle behind the glass, the chair near the window.
An annotation tool asks many questions about one image and keeps the answers as masks.
Points, boxes, scribbles and masks are visual prompts; every matching instance is returned.
Numbers like 0 1 2 3 4 5 6 7 8 9 10 42 100 2024 appear in captions and in category lists.
Punctuation: commas, periods. Questions? Exclamations! Quotes "like this" and 'this' (and brackets).
The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs.
Sphinx of black quartz, judge my vow. How vexingly quick daft zebras jump!
TXT
(cd "$work" && spm_train --input=corpus.txt --model_prefix=tiny --model_type=bpe --vocab_size=402 \
  --byte_fallback=true --character_coverage=1.0 --add_dummy_prefix=true --remove_extra_whitespaces=false \
  --normalization_rule_name=identity --split_digits=true --allow_whitespace_only_pieces=true \
  --num_threads=1 --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --minloglevel=2 > log.txt 2>&1) \
  || { cat "$work/log.txt"; exit 1; }
cp "$work/tiny.model" "$out"
echo "wrote $out"
