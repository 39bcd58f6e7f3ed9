// The torch.save -> safetensors converter on real files written by Debian's python3-torch (generated
// here, in the test set-up): bf16 state dicts with X-SAM's official key names, views sharing a storage,
// nesting under "state_dict", and broken files.
#include "core/util/error.h"
#include "core/xsam/weights/checkpoint.h"
#include "core/xsam/weights/safetensors.h"
#include "tests/harness/plain_test.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace xs::xsam;
namespace fs = std::filesystem;

namespace {

std::string work_dir() {
    static std::string dir = [] {
        fs::path p = fs::path(xs::plain_test::env_or("XS_TEST_TMP", fs::temp_directory_path().string())) / "ckpt";
        fs::remove_all(p);
        fs::create_directories(p);
        return p.string();
    }();
    return dir;
}

// The values every generated tensor holds: ((i * 37) % 251 - 125) / 64 for flat index i, exact in bf16.
torch::Tensor pattern(const std::vector<int64_t>& shape, torch::ScalarType dtype) {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    auto i = torch::arange(n, torch::kLong);
    return ((i * 37).remainder(251) - 125).to(torch::kDouble).div(64.0).view(shape).to(dtype);
}

// Writes the checkpoints with Python once per run.
void make_checkpoints() {
    static bool done = false;
    if (done) return;
    const std::string dir = work_dir();
    const std::string script = dir + "/make.py";
    std::ofstream(script) << R"PY(
import sys, torch
out = sys.argv[1]
def pattern(shape, dtype):
    n = 1
    for s in shape: n *= s
    i = torch.arange(n, dtype=torch.int64)
    return (((i * 37) % 251 - 125).double() / 64.0).reshape(shape).to(dtype)
bf = torch.bfloat16
sd = {
  "llm.model.embed_tokens.weight": pattern([416, 64], bf),
  "llm.model.layers.0.self_attn.qkv_proj.weight": pattern([192, 64], bf),
  "llm.model.layers.0.mlp.gate_up_proj.weight": pattern([256, 64], bf),
  "llm.model.norm.weight": pattern([64], bf),
  "llm.lm_head.weight": pattern([416, 64], bf),
  "visual_encoder.vision_model.embeddings.patch_embedding.weight": pattern([32, 3, 14, 14], bf),
  "segmentor.logit_scale": torch.tensor(2.5, dtype=torch.float32),
  "bg_embeds.weight": pattern([1, 32], bf),
  "segmentor.decoder.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
}
base = pattern([6, 10], bf)
sd["views.transposed"] = base.t()          # shares base's storage, non-contiguous
sd["views.rows"] = base[2:5]               # storage offset 20
sd["views.base"] = base
torch.save(sd, out + "/plain.bin")
torch.save({"state_dict": {k: sd[k] for k in ["bg_embeds.weight", "llm.model.norm.weight"]}, "epoch": 3,
            "meta": "x"}, out + "/nested.bin")
torch.save(torch.zeros(2), out + "/list.bin")
)PY";
    const std::string cmd = "/usr/bin/python3 " + script + " " + dir + " 2>" + dir + "/make.err";
    const int rc = std::system(cmd.c_str());
    XS_CHECK_MSG(rc == 0, "python3-torch failed to write the checkpoints (see " + dir + "/make.err)");
    done = true;
}

}  // namespace

XS_TEST(reader_lists_tensors_without_reading_data) {
    make_checkpoints();
    TorchCheckpointReader r(work_dir() + "/plain.bin");
    XS_CHECK(r.tensors().size() == 12);
    const auto& t0 = r.tensors()[0];
    XS_CHECK(t0.name == "llm.model.embed_tokens.weight");  // insertion order is kept
    XS_CHECK(t0.dtype == torch::kBFloat16 && t0.shape == std::vector<int64_t>({416, 64}));
    for (const auto& t : r.tensors())
        if (t.name == "views.rows") XS_CHECK(t.storage_offset == 20 && t.storage_bytes == 60 * 2);
}

XS_TEST(converter_writes_equal_values_in_hf_layout) {
    make_checkpoints();
    const std::string out = work_dir() + "/out";
    // A small shard size forces several shards (the embeddings are 53 KB each).
    auto rep = convert_checkpoint(work_dir() + "/plain.bin", out, 60000);
    XS_CHECK(rep.tensors == 12);
    XS_CHECK_MSG(rep.files.size() >= 4, std::to_string(rep.files.size()));
    XS_CHECK(fs::exists(out + "/model.safetensors.index.json"));
    auto set = SafeTensorsSet::open(out);
    XS_CHECK(set.names().size() == 12);
    const auto bf = torch::kBFloat16;
    auto expect = [&](const std::string& name, const torch::Tensor& want) {
        auto got = set.get(name);
        XS_CHECK_MSG(got.scalar_type() == want.scalar_type(), name + " dtype");
        XS_CHECK_MSG(got.sizes() == want.sizes(), name + " shape");
        XS_CHECK_MSG(torch::equal(got, want), name + " values");
    };
    expect("llm.model.embed_tokens.weight", pattern({416, 64}, bf));
    expect("llm.model.layers.0.self_attn.qkv_proj.weight", pattern({192, 64}, bf));
    expect("llm.model.layers.0.mlp.gate_up_proj.weight", pattern({256, 64}, bf));
    expect("llm.model.norm.weight", pattern({64}, bf));
    expect("llm.lm_head.weight", pattern({416, 64}, bf));
    expect("visual_encoder.vision_model.embeddings.patch_embedding.weight", pattern({32, 3, 14, 14}, bf));
    expect("segmentor.logit_scale", torch::tensor(2.5f));
    expect("bg_embeds.weight", pattern({1, 32}, bf));
    expect("segmentor.decoder.num_batches_tracked", torch::tensor(int64_t(7)));
    auto base = pattern({6, 10}, bf);
    expect("views.transposed", base.t().contiguous());
    expect("views.rows", base.narrow(0, 2, 3).contiguous());
    expect("views.base", base);
    // Spot check against a known element: index 1 of the norm = (37 % 251 - 125) / 64 = -1.375
    XS_CHECK(set.get("llm.model.norm.weight")[1].item<float>() == -1.375f);
}

XS_TEST(nested_state_dict_and_skipped_entries) {
    make_checkpoints();
    TorchCheckpointReader r(work_dir() + "/nested.bin");
    XS_CHECK(r.tensors().size() == 2);
    auto rep = convert_checkpoint(work_dir() + "/nested.bin", work_dir() + "/out_nested", 1 << 20);
    XS_CHECK(rep.tensors == 2 && rep.files.size() == 2);
    XS_CHECK(torch::equal(SafeTensorsSet::open(work_dir() + "/out_nested").get("bg_embeds.weight"),
                          pattern({1, 32}, torch::kBFloat16)));
}

XS_TEST(broken_files_give_clear_errors) {
    make_checkpoints();
    const std::string dir = work_dir();
    // truncated: the first 60% of a real checkpoint
    {
        std::ifstream in(dir + "/plain.bin", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::ofstream(dir + "/truncated.bin", std::ios::binary) << bytes.substr(0, bytes.size() * 6 / 10);
    }
    XS_CHECK_THROWS(convert_checkpoint(dir + "/truncated.bin", dir + "/o1", 1 << 20), xs::Error, "truncated or corrupt");
    { std::ofstream(dir + "/text.bin") << "hello, this is not a checkpoint"; }
    XS_CHECK_THROWS(convert_checkpoint(dir + "/text.bin", dir + "/o2", 1 << 20), xs::Error, "no zip signature");
    XS_CHECK_THROWS(convert_checkpoint(dir + "/missing.bin", dir + "/o3", 1 << 20), xs::Error, "no such file");
    XS_CHECK_THROWS(convert_checkpoint(dir + "/list.bin", dir + "/o4", 1 << 20), xs::Error, "not a dict of tensors");
    // legacy (non-zip) format
    { std::ofstream(dir + "/legacy.bin", std::ios::binary) << std::string("\x80\x02\x8a\x0a", 4); }
    XS_CHECK_THROWS(convert_checkpoint(dir + "/legacy.bin", dir + "/o5", 1 << 20), xs::Error, "legacy");
}

XS_TEST(cli_convert_checkpoint) {
    make_checkpoints();
    const std::string cli = xs::plain_test::env_or("XS_CLI", "");
    XS_CHECK_MSG(!cli.empty(), "XS_CLI not set");
    const std::string out = work_dir() + "/cli_out";
    const std::string cmd = "\"" + cli + "\" convert-checkpoint " + work_dir() + "/plain.bin --out " + out +
                            " --shard-size-mb 1 > " + work_dir() + "/cli.log 2>&1";
    XS_CHECK(std::system(cmd.c_str()) == 0);
    auto set = SafeTensorsSet::open(out);
    XS_CHECK(set.names().size() == 12);
    XS_CHECK(torch::equal(set.get("llm.lm_head.weight"), pattern({416, 64}, torch::kBFloat16)));
    const std::string bad = "\"" + cli + "\" convert-checkpoint " + work_dir() + "/text.bin --out " + out + "2 > " +
                            work_dir() + "/cli_bad.log 2>&1";
    XS_CHECK(std::system(bad.c_str()) != 0);
    std::ifstream in(work_dir() + "/cli_bad.log");
    std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    XS_CHECK_MSG(log.find("no zip signature") != std::string::npos, log);
}

XS_TEST_MAIN()
