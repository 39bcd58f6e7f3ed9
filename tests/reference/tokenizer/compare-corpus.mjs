// Plain-text parity of the built Phi-3 tokenizer.json with llama-tokenizer-js on a large mixed corpus:
// a generated block that walks many Unicode scripts, emoji, control characters and runs of spaces and
// tabs, then Debian's documentation on this machine (/usr/share/doc: copyright files, changelogs,
// READMEs; names in many languages, code, URLs, tables). The corpus is cut into chunks of whole lines (up to
// about 2 KB, newlines included); each chunk is encoded by
//   A  llama-tokenizer-js (Llama-2's own encoder: add_preceding_space, no BOS), and
//   B  @lenml/tokenizers running tokenizer.json (Hugging Face's fast-tokenizer rules),
// and every chunk must give identical ids. Chunks holding an added token's text ("<s>", "</s>",
// "<|end|>", "<p>", ...) are left out: there the two differ by design (B splits the token out).
// The chunks and their ids go to OUT.jsonl for the C++ test, which checks our tokenizer against them.
// Usage: node compare-corpus.mjs NODE_MODULES_DIR PHI3_DIR OUT.jsonl [MAX_BYTES]
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { pathToFileURL } from "node:url";
import { requireBuiltReference } from "./reference-dir.mjs";

const [modulesDir, phi3Dir, outPath, maxBytesArg] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node compare-corpus.mjs NODE_MODULES_DIR PHI3_DIR OUT.jsonl [MAX_BYTES]");
  process.exit(2);
}
const maxBytes = Number(maxBytesArg ?? 4_000_000);
requireBuiltReference(phi3Dir);
const CHUNK_CHARS = 2000;

const importModule = (name, file) => import(pathToFileURL(path.join(modulesDir, name, file)).href);
const llama = (await importModule("llama-tokenizer-js", "llama-tokenizer.js")).default;
const { TokenizerLoader } = await importModule("@lenml/tokenizers", "dist/main.mjs");
const tokenizerJson = JSON.parse(fs.readFileSync(path.join(phi3Dir, "tokenizer.json"), "utf8"));
const hf = TokenizerLoader.fromPreTrained({
  tokenizerJSON: tokenizerJson,
  tokenizerConfig: JSON.parse(fs.readFileSync(path.join(phi3Dir, "tokenizer_config.json"), "utf8")),
});
const addedTexts = tokenizerJson.added_tokens.map((t) => t.content);

// ---- the corpus ----

function debianDocuments() {
  const root = "/usr/share/doc";
  const files = [];
  const walk = (dir) => {
    let entries = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /^(copyright|changelog(\.Debian)?\.gz|README.*|NEWS.*)$/.test(e.name)) files.push(p);
    }
  };
  walk(root);
  return files;
}

function readText(file) {
  let bytes = fs.readFileSync(file);
  if (file.endsWith(".gz")) bytes = zlib.gunzipSync(bytes);
  return bytes.toString("utf8");  // invalid UTF-8 becomes U+FFFD, the same text for every side
}

// Text in many scripts, generated from code point ranges (no third-party text): words of 1-9
// characters from one range, separated by single or double spaces, tabs and newlines.
function generatedScripts() {
  const ranges = [
    [0x20, 0x7e], [0xa1, 0x17f], [0x370, 0x3ff], [0x400, 0x4ff], [0x5d0, 0x5ea], [0x620, 0x64a],
    [0x900, 0x97f], [0xe01, 0xe3a], [0x3041, 0x3096], [0x30a1, 0x30fa], [0x4e00, 0x4fff], [0xac00, 0xadff],
    [0x1f300, 0x1f5ff], [0x1f600, 0x1f64f], [0x2000, 0x206f], [0x2190, 0x22ff], [0x0300, 0x036f],
    [0xff01, 0xff5e], [0x1d400, 0x1d4ff], [0x0001, 0x001f],
  ];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const separators = [" ", " ", " ", "  ", "\t", "\n", "   ", " \n", "\n\n"];
  let out = "";
  for (let word = 0; word < 60000; ++word) {
    const [lo, hi] = ranges[next() % ranges.length];
    const len = 1 + (next() % 9);
    for (let i = 0; i < len; ++i) out += String.fromCodePoint(lo + (next() % (hi - lo + 1)));
    out += separators[next() % separators.length];
  }
  return out;
}

function* chunksOf(text) {
  let chunk = "";
  for (const line of text.split(/(?<=\n)/)) {
    if (chunk.length + line.length > CHUNK_CHARS && chunk.length > 0) {
      yield chunk;
      chunk = "";
    }
    chunk += line;
  }
  if (chunk.length > 0) yield chunk;
}

// ---- the comparison ----

const out = fs.openSync(outPath, "w");
const stats = { chunks: 0, bytes: 0, tokens: 0, skipped_added_token: 0, mismatches: 0, byte_fallback_tokens: 0 };
const firstMismatches = [];
const seen = new Set();
const sources = [generatedScripts, ...debianDocuments().map((f) => () => readText(f))];
const started = Date.now();
for (const source of sources) {
  if (stats.bytes >= maxBytes) break;
  for (const chunk of chunksOf(source())) {
    if (stats.bytes >= maxBytes) break;
    if (seen.has(chunk)) continue;  // licence texts repeat across packages
    seen.add(chunk);
    if (addedTexts.some((t) => chunk.includes(t))) {
      stats.skipped_added_token++;
      continue;
    }
    const a = llama.encode(chunk, false, true);
    const b = hf.encode(chunk, { add_special_tokens: false });
    stats.chunks++;
    stats.bytes += Buffer.byteLength(chunk);
    stats.tokens += b.length;
    stats.byte_fallback_tokens += b.filter((id) => id >= 3 && id <= 258).length;
    if (a.length !== b.length || a.some((id, i) => id !== b[i])) {
      stats.mismatches++;
      if (firstMismatches.length < 5) firstMismatches.push({ text: chunk.slice(0, 200), llama: a.slice(0, 40), hf: b.slice(0, 40) });
      continue;
    }
    fs.writeSync(out, JSON.stringify({ text: chunk, ids: b }) + "\n");
  }
}
fs.closeSync(out);
stats.seconds = (Date.now() - started) / 1000;
console.log("corpus parity (llama-tokenizer-js vs tokenizer.json): " + JSON.stringify(stats));
for (const m of firstMismatches) console.log("MISMATCH " + JSON.stringify(m));
if (stats.mismatches > 0) process.exit(1);
if (stats.bytes < maxBytes / 2) {
  console.log(`the corpus is only ${stats.bytes} bytes (wanted ${maxBytes}): too little documentation on this machine`);
  process.exit(1);
}
