// Golden token ids from the built Phi-3 tokenizer.json, run by @lenml/tokenizers (Hugging Face's fast
// tokenizer rules, legacy Llama normalizer: what the official X-SAM code runs), for
//   encode         hard strings: leading/trailing spaces, newlines next to added tokens, rstrip,
//                  digits, non-ASCII, near-miss tag texts (tokenizer.encode(text, add_special_tokens=False))
//   chunks         X-SAM's split at <image>/<region>: each chunk encoded on its own, the placeholders
//                  as -200 / -300 (xsam/dataset/utils/encode.py)
//   conversations  every task's prompt as the official encode_fn builds it: [BOS] + chunks(input) +
//                  encode(output) + encode(sep), input = phi3_chat's "<|user|>\n{input}<|end|>\n
//                  <|assistant|>\n" around "<image>\n{question}", output = answer + "<|end|>", sep "\n"
//                  (generated tasks: input only). The questions are the templates our engine uses
//                  (core/xsam/pipeline/prompts.cpp); the C++ test checks that it renders the same text.
//   decode         ids -> text (tokenizer.decode, skip_special_tokens False/True).
// Usage: node goldens.mjs NODE_MODULES_DIR PHI3_DIR GOLDENS.json [--write]
//   without --write: exits 1 unless the run reproduces GOLDENS.json exactly (cases and ids).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { requireBuiltReference } from "./reference-dir.mjs";

const args = process.argv.slice(2);
const write = args.includes("--write");
const [modulesDir, phi3Dir, goldensPath] = args.filter((a) => a !== "--write");
if (!goldensPath) {
  console.error("usage: node goldens.mjs NODE_MODULES_DIR PHI3_DIR GOLDENS.json [--write]");
  process.exit(2);
}
requireBuiltReference(phi3Dir);
const { TokenizerLoader } = await import(pathToFileURL(path.join(modulesDir, "@lenml/tokenizers/dist/main.mjs")).href);
const tok = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync(path.join(phi3Dir, "tokenizer.json"), "utf8")),
  tokenizerConfig: JSON.parse(fs.readFileSync(path.join(phi3Dir, "tokenizer_config.json"), "utf8")),
});

const IMAGE = -200, REGION = -300, BOS = 1;
const encode = (text) => tok.encode(text, { add_special_tokens: false });
function encodeChunks(text) {
  const ids = [];
  for (const chunk of text.split(/(<image>|<region>)/)) {
    if (chunk === "<image>") ids.push(IMAGE);
    else if (chunk === "<region>") ids.push(REGION);
    else ids.push(...encode(chunk));
  }
  return ids;
}

// ---- hard strings ----

const ENCODE_CASES = [
  ["hello", "Hello, my dog is cute"],
  ["leading_space", " leading space"],
  ["two_leading_spaces", "  two leading spaces"],
  ["trailing_space", "trailing space "],
  ["trailing_spaces", "trailing spaces   "],
  ["only_spaces", "   "],
  ["empty", ""],
  ["newlines", "line one\nline two\n\nline four"],
  ["newline_only", "\n"],
  ["crlf_tabs", "a\r\nb\tc\t\td"],
  ["user_newline_rstrip", "<|user|>\nHello"],
  ["user_many_whitespace_rstrip", "<|user|> \n \t Hello"],
  ["unicode_space_rstrip", "<|end|>\u00a0\u3000\u2028x"],
  ["end_assistant", "Hi<|end|>\n<|assistant|>\n"],
  ["end_double_newline", "<|end|>\n\n<|assistant|>"],
  ["space_before_special", "Hello <|end|>"],
  ["endoftext_keeps_newline", "<|endoftext|>\nHi"],
  ["eos_rstrip", "done</s> after"],
  ["bos_unk_in_text", "<s>Hi</s><unk>"],
  ["system_turn", "<|system|>\nYou are helpful.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n"],
  ["placeholders", "<|placeholder1|>a<|placeholder6|> b"],
  ["phrase_newline", "<p>\n</p>"],
  ["phrase_spaces", "<p> a </p>  b"],
  ["seg_dot", "<SEG>."],
  ["seg_twice", "<SEG><SEG> <SEG>"],
  ["answer", "It is <SEG>.<|end|>"],
  ["near_miss_tags", "<seg> <P> < p> <p <|user| |user|> <|User|>"],
  ["digits", "2024 3.14159 1,000,000 0x1F 12345678901234567890"],
  ["latin_accents", "café naïve Ünïcödé façade"],
  ["cjk", "日本語のテキストと中文"],
  ["cyrillic_greek", "Привет мир, Καλημέρα"],
  ["emoji", "emoji 😀🎉👍🏽 🇩🇪"],
  ["combining", "e\u0301 a\u0308 n\u0303"],
  ["nbsp_ideographic", "a\u00a0b\u3000c"],
  ["code", "def f(x):\n    return x ** 2  # square\n"],
];

const CHUNK_CASES = [
  ["image_between", "a<image>b"],
  ["image_only", "<image>"],
  ["region_spaces", "x <region> y"],
  ["image_then_regions", "<image>\n<region><region>"],
  ["text_region", "text<region>"],
  ["user_image", "<|user|>\n<image>\nWhat is this?<|end|>\n<|assistant|>\n"],
  ["region_phrases", "<p><region></p>, <p><region></p>?"],
];

// ---- every task's prompt (our templates, in the official encode_fn) ----

const phrase = (t) => `<p>${t}</p>`;
const QUESTIONS = {
  referring: (e) => `Can you segment ${phrase(e.trim().toLowerCase())} in this image? Please generate the segmentation mask.`,
  reasoning: (q) => `${phrase(q.trim())} Please output the corresponding segmentation mask.`,
  categories: (list) =>
    `Can you segment the image based on the following categories: ${list.map(phrase).join(", ")}? ` +
    "Please output the segmentation masks.",
  regions: (n) =>
    `Can you segment the image based on the following regions: ${Array(n).fill(phrase("<region>")).join(", ")}? ` +
    "Please output the corresponding segmentation mask.",
  caption: () =>
    "Can you provide a brief description of the this image? Please output interleaved segmentation masks for " +
    "the corresponding phrases.",
  chat: (q) => q.replaceAll("<image>", "").trim(),
};
const ANSWERS = { referring: "It is <SEG>.", reasoning: "<SEG>.", categories: "Sure, it is <SEG>.", regions: "Sure, <SEG>." };

// The reference's category cleaning (genseg_map_fn.tag_categories).
const cleanCategory = (c) =>
  c.replaceAll("-merged", "").replaceAll("-other", "").replaceAll("-stuff", "").replaceAll("-", " ").toLowerCase().trim();

// A long open-vocabulary list: everyday object names with two- and three-word names, repeated with
// numbers to 120 entries.
const OBJECTS = [
  "person", "bicycle", "car", "traffic light", "fire hydrant", "stop sign", "bench", "bird", "cat", "dog",
  "umbrella", "handbag", "tennis racket", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana",
  "hot dog", "pizza", "potted plant", "dining table", "cell phone", "teddy bear", "hair drier", "toothbrush",
  "wall-other-merged", "sky-other-merged", "floor-wood", "tree-merged", "grass-merged", "road", "river",
];
const LONG_LIST = Array.from({ length: 120 }, (_, i) => (i < OBJECTS.length ? OBJECTS[i] : `${OBJECTS[i % OBJECTS.length]} ${i}`));

const CONVERSATION_CASES = [
  ["referring", "referring", "the bird on the left"],
  ["referring_case_and_spaces", "referring", "  The Red CAR  "],
  ["reasoning", "reasoning", "What object can be used to cut paper?"],
  ["generic", "categories", ["person", "car", "traffic light"]],
  ["generic_cleaned_names", "categories", ["wall-other-merged", "sky-other-merged", "Person"]],
  ["ovseg_long_list", "categories", LONG_LIST],
  ["interactive", "regions", 1],
  ["vgd_three_prompts", "regions", 3],
  ["caption", "caption", null],
  ["chat", "chat", "What is in this image?"],
  ["chat_spaces_newlines", "chat", "  Describe the image in detail.\nBe brief.  \n"],
  ["chat_with_image_token", "chat", "<image>How many animals are there?"],
];

function officialConversation(template, argument) {
  const question = QUESTIONS[template](template === "categories" ? argument.map(cleanCategory) : argument);
  const input = `<|user|>\n<image>\n${question}<|end|>\n<|assistant|>\n`;
  const answer = ANSWERS[template];
  const output = answer === undefined ? "" : answer + "<|end|>";
  const sep = answer === undefined ? "" : "\n";
  // xtuner's encode_fn: BOS, the input's chunks, the output, the separator, each encoded on its own.
  const ids = [BOS, ...encodeChunks(input), ...(output ? encode(output) : []), ...(sep ? encode(sep) : [])];
  return { input, output, sep, ids };
}

// ---- decoding ----

const DECODE_TEXTS = [
  ["caption_like", "<p> A man</p> riding <p> a bike</p> on the road <SEG>.<|end|>"],
  ["chat_answer", "The image shows a cat.\nIt is sitting on a mat.<|end|>"],
  ["non_ascii", "日本 😀 café"],
  ["leading_newline", "\nHello"],
  ["special_first", "<|assistant|>Sure, <SEG>."],
  ["spaces", "a  b   c"],
];

const result = {
  comment:
    "Golden token ids of Phi-3-mini's tokenizer with X-SAM's added tokens (ids 32011-32013), made by " +
    "tests/reference/tokenizer/goldens.mjs from the tokenizer.json that build-phi3-tokenizer.mjs builds " +
    "(Llama-2 vocabulary and merges from llama-tokenizer-js), run by @lenml/tokenizers. Placeholders: " +
    "<image> -200, <region> -300. Regenerate: tests/reference/tokenizer/fetch-and-build.sh BUILD/tokenizer-ref --write-goldens",
  encode: ENCODE_CASES.map(([name, text]) => ({ name, text, ids: encode(text) })),
  chunks: CHUNK_CASES.map(([name, text]) => ({ name, text, ids: encodeChunks(text) })),
  conversations: CONVERSATION_CASES.map(([name, template, argument]) => ({
    name, template, argument, ...officialConversation(template, argument),
  })),
  decode: DECODE_TEXTS.flatMap(([name, text]) => {
    const ids = encode(text);
    return [false, true].map((skip) => ({
      name: name + (skip ? "_skip_special" : ""), ids, skip_special: skip,
      text: tok.decode(ids, { skip_special_tokens: skip }),
    }));
  }),
};

const text = JSON.stringify(result, null, 1) + "\n";
if (write) {
  fs.mkdirSync(path.dirname(goldensPath), { recursive: true });
  fs.writeFileSync(goldensPath, text);
  console.log(`wrote ${goldensPath}`);
} else {
  const committed = fs.existsSync(goldensPath) ? fs.readFileSync(goldensPath, "utf8") : "";
  if (committed !== text) {
    fs.writeFileSync(path.join(phi3Dir, "goldens.fresh.json"), text);
    console.log(`the tokenizer.json run does not reproduce ${goldensPath}; see ${path.join(phi3Dir, "goldens.fresh.json")}`);
    process.exit(1);
  }
  const count = ["encode", "chunks", "conversations", "decode"].map((k) => `${result[k].length} ${k}`).join(", ");
  console.log(`goldens reproduced by the tokenizer.json run: ${count}`);
}
