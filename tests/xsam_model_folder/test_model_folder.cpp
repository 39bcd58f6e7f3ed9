// The model-folder procedure the README gives for the released weights, on the tiny config: a random
// model is written as a torch.save checkpoint (like the released pytorch_model.bin) by Debian's
// python3-torch, converted with `convert-checkpoint --config --tokenizer`, checked with `check-model`,
// and must segment exactly like the folder it came from. Broken folders (no tokenizer, wrong tokenizer,
// truncated shard, config of another size, stray tensor) are each named by check-model and refused.
#include "tests/harness/plain_test.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using xs::plain_test::env_or;

namespace {

std::string work_dir() {
    static std::string dir = [] {
        fs::path p = fs::path(env_or("XS_TEST_TMP", fs::temp_directory_path().string())) / "model_folder";
        fs::remove_all(p);
        fs::create_directories(p);
        return p.string();
    }();
    return dir;
}

std::string source_dir() { return env_or("XS_SOURCE_DIR", ""); }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Run {
    int code = -1;
    std::string out;  // stdout + stderr
};

Run cli(const std::string& args) {
    static int n = 0;
    const std::string cli_path = env_or("XS_CLI", "");
    if (cli_path.empty()) throw xs::plain_test::Failure{"XS_CLI not set"};
    const std::string log = work_dir() + "/cli" + std::to_string(++n) + ".log";
    const std::string cmd = "\"" + cli_path + "\" " + args + " > \"" + log + "\" 2>&1";
    const int rc = std::system(cmd.c_str());
    Run r;
    r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = read_file(log);
    return r;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The tiny random model, once per run.
std::string random_model() {
    static std::string dir = [] {
        const std::string d = work_dir() + "/random";
        const Run r = cli("init-random-weights --config " + source_dir() + "/models/xsam-tiny.json --out " + d +
                          " --seed 7");
        if (r.code != 0) throw xs::plain_test::Failure{"init-random-weights failed: " + r.out};
        return d;
    }();
    return dir;
}

void copy_folder(const std::string& from, const std::string& to) {
    fs::remove_all(to);
    fs::copy(from, to, fs::copy_options::recursive);
}

// torch.save of the weights in `safetensors`, written by python3-torch from the raw file (no safetensors
// package needed: the header is JSON, the data raw little-endian bytes).
void write_torch_checkpoint(const std::string& safetensors, const std::string& out) {
    const std::string script = work_dir() + "/to_torch.py";
    std::ofstream(script) << R"PY(
import json, struct, sys, torch
src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n])
body = data[8 + n:]
dtypes = {'F32': torch.float32, 'BF16': torch.bfloat16, 'F16': torch.float16, 'I64': torch.int64,
          'F64': torch.float64, 'I32': torch.int32, 'U8': torch.uint8, 'BOOL': torch.bool}
sd = {}
for name, e in header.items():
    if name == '__metadata__':
        continue
    b, en = e['data_offsets']
    t = torch.frombuffer(bytearray(body[b:en]), dtype=dtypes[e['dtype']]) if en > b else torch.empty(0, dtype=dtypes[e['dtype']])
    sd[name] = t.reshape(e['shape']).clone()
torch.save(sd, dst)
)PY";
    const std::string cmd = "/usr/bin/python3 " + script + " " + safetensors + " " + out + " 2>" + work_dir() +
                            "/to_torch.err";
    if (std::system(cmd.c_str()) != 0)
        throw xs::plain_test::Failure{"python3-torch could not write the checkpoint: " +
                                      read_file(work_dir() + "/to_torch.err")};
}

std::string sample_image() { return source_dir() + "/resources/samples/coffee.png"; }

}  // namespace

XS_TEST(random_folder_checks_ok) {
    const Run r = cli("check-model " + random_model());
    XS_CHECK_MSG(r.code == 0, r.out);
    XS_CHECK_MSG(contains(r.out, ": OK - "), r.out);
    const Run j = cli("check-model --json " + random_model());
    XS_CHECK_MSG(j.code == 0 && contains(j.out, "\"ok\": true") && contains(j.out, "\"problems\": []"), j.out);
}

XS_TEST(convert_then_check_then_segment_like_the_source) {
    const std::string ckpt = work_dir() + "/pytorch_model.bin";
    write_torch_checkpoint(random_model() + "/model.safetensors", ckpt);
    const std::string out = work_dir() + "/converted";
    const Run c = cli("convert-checkpoint " + ckpt + " --out " + out + " --config " + source_dir() +
                      "/models/xsam-tiny.json --tokenizer " + source_dir() +
                      "/models/xsam-tiny.tokenizer.model --shard-size-mb 1 --quiet");
    XS_CHECK_MSG(c.code == 0, c.out);
    XS_CHECK_MSG(contains(c.out, "tensors match config.json"), c.out);
    XS_CHECK(fs::is_regular_file(out + "/model.safetensors.index.json"));
    XS_CHECK(fs::is_regular_file(out + "/config.json") && fs::is_regular_file(out + "/tokenizer.model"));
    const Run k = cli("check-model " + out);
    XS_CHECK_MSG(k.code == 0, k.out);

    // The converted folder answers exactly like the folder it came from.
    // One compute precision for both (auto may choose differently in two processes on a loaded machine).
    const std::string req = " --compute fp32 --image " + sample_image() + " --task referring --text \"the cup\" --out-mask ";
    const Run a = cli("segment --engine xsam --model " + random_model() + req + work_dir() + "/a.png");
    const Run b = cli("segment --engine xsam --model " + out + req + work_dir() + "/b.png");
    XS_CHECK_MSG(a.code == 0, a.out);
    XS_CHECK_MSG(b.code == 0, b.out);
    const std::string ma = read_file(work_dir() + "/a.png"), mb = read_file(work_dir() + "/b.png");
    XS_CHECK(!ma.empty());
    XS_CHECK_MSG(ma == mb, "the converted model's mask differs from the source model's");
}

XS_TEST(convert_refuses_missing_extra_files_before_converting) {
    const Run c = cli("convert-checkpoint " + work_dir() + "/nothing.bin --out " + work_dir() +
                      "/never --config /nonexistent/config.json");
    XS_CHECK(c.code != 0);
    XS_CHECK_MSG(contains(c.out, "--config: no such file"), c.out);
    XS_CHECK(!fs::exists(work_dir() + "/never"));
}

XS_TEST(missing_tokenizer_is_named) {
    const std::string d = work_dir() + "/no_tok";
    copy_folder(random_model(), d);
    fs::remove(d + "/tokenizer.model");
    const Run r = cli("check-model " + d);
    XS_CHECK(r.code == 1);
    XS_CHECK_MSG(contains(r.out, "no tokenizer.model"), r.out);
    // The engine refuses the folder too, with a message and no crash.
    const Run s = cli("segment --engine xsam --model " + d + " --image " + sample_image() +
                      " --task referring --text cup --out-mask " + d + "/m.png");
    XS_CHECK(s.code != 0);
    XS_CHECK_MSG(contains(s.out, "tokenizer"), s.out);
}

XS_TEST(missing_config_and_weights_are_named) {
    const std::string d = work_dir() + "/empty";
    fs::create_directories(d);
    const Run r = cli("check-model " + d);
    XS_CHECK(r.code == 1);
    XS_CHECK_MSG(contains(r.out, "no config.json"), r.out);
    XS_CHECK_MSG(contains(r.out, "no tokenizer.model"), r.out);
    XS_CHECK_MSG(contains(r.out, "no model.safetensors"), r.out);
    const Run n = cli("check-model " + work_dir() + "/does-not-exist");
    XS_CHECK(n.code == 1);
    XS_CHECK_MSG(contains(n.out, "is not a folder"), n.out);
}

XS_TEST(truncated_weights_are_named) {
    const std::string d = work_dir() + "/truncated";
    copy_folder(random_model(), d);
    const std::string w = d + "/model.safetensors";
    fs::resize_file(w, fs::file_size(w) * 2 / 3);
    const Run r = cli("check-model " + d);
    XS_CHECK(r.code == 1);
    XS_CHECK_MSG(contains(r.out, "weights: "), r.out);
    XS_CHECK_MSG(contains(r.out, "model.safetensors"), r.out);
}

XS_TEST(config_of_another_size_is_a_mismatch) {
    const std::string d = work_dir() + "/other_config";
    copy_folder(random_model(), d);
    // The full-size config against tiny weights: shapes differ and the vocabulary differs.
    fs::copy_file(source_dir() + "/models/xsam-phi3-siglip2-samL.json", d + "/config.json",
                  fs::copy_options::overwrite_existing);
    const Run r = cli("check-model " + d);
    XS_CHECK(r.code == 1);
    XS_CHECK_MSG(contains(r.out, "do not match the model"), r.out);
    XS_CHECK_MSG(contains(r.out, "mismatched"), r.out);
    XS_CHECK_MSG(contains(r.out, "wrong tokenizer or wrong config"), r.out);
}

XS_TEST(stray_tensor_is_named) {
    // A checkpoint with an extra tensor converts, but the folder is refused naming the tensor.
    const std::string d = work_dir() + "/stray";
    const std::string ckpt = work_dir() + "/stray.bin";
    write_torch_checkpoint(random_model() + "/model.safetensors", ckpt);
    const std::string script = work_dir() + "/add.py";
    std::ofstream(script) << "import sys, torch\nsd = torch.load(sys.argv[1])\nsd['llm.extra_head.weight'] = "
                             "torch.zeros(3, 4)\ntorch.save(sd, sys.argv[1])\n";
    XS_CHECK(std::system(("/usr/bin/python3 " + script + " " + ckpt).c_str()) == 0);
    const Run c = cli("convert-checkpoint " + ckpt + " --out " + d + " --config " + source_dir() +
                      "/models/xsam-tiny.json --tokenizer " + source_dir() + "/models/xsam-tiny.tokenizer.model --quiet");
    XS_CHECK(c.code != 0);
    XS_CHECK_MSG(contains(c.out, "does not load") && contains(c.out, "llm.extra_head.weight"), c.out);
}

XS_TEST_MAIN()
