// Safetensors: round trip, every header error, sharded folders, and the strict loader's single error.
#include "core/util/error.h"
#include "core/xsam/weights/safetensors.h"
#include "tests/harness/plain_test.h"

#include <filesystem>
#include <fstream>

using namespace xs::xsam;
namespace fs = std::filesystem;

namespace {

std::string tmp_dir(const std::string& name) {
    fs::path p = fs::path(xs::plain_test::env_or("XS_TEST_TMP", fs::temp_directory_path().string())) / ("st_" + name);
    fs::remove_all(p);
    fs::create_directories(p);
    return p.string();
}

// Writes a raw file: 8-byte length, header text, then `data_bytes` zero bytes.
void write_raw(const std::string& path, const std::string& header, size_t data_bytes, int64_t declared_len = -1) {
    std::ofstream out(path, std::ios::binary);
    uint64_t n = declared_len >= 0 ? uint64_t(declared_len) : header.size();
    for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xff));
    out << header;
    out << std::string(data_bytes, '\0');
}

std::string read_file(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Tiny : torch::nn::Module {
    Tiny() {
        a = register_parameter("a", torch::zeros({2, 3}));
        b = register_parameter("b", torch::zeros({4}));
        inner = register_module("inner", torch::nn::Linear(torch::nn::LinearOptions(3, 2).bias(true)));
        buf = register_buffer("buf", torch::zeros({2}, torch::kLong));
    }
    torch::Tensor a, b, buf;
    torch::nn::Linear inner{nullptr};
};

LoadOptions with_prefix(const std::string& prefix) {
    LoadOptions o;
    o.prefix = prefix;
    return o;
}

}  // namespace

XS_TEST(round_trip_all_dtypes_and_shapes) {
    const std::string dir = tmp_dir("rt");
    torch::manual_seed(0);
    std::vector<std::pair<std::string, torch::Tensor>> ts = {
        {"f32", torch::randn({3, 5})},
        {"f64", torch::randn({2, 2}, torch::kDouble)},
        {"bf16", torch::randn({7}).to(torch::kBFloat16)},
        {"f16", torch::randn({2, 3, 1}).to(torch::kHalf)},
        {"i64", torch::arange(10, torch::kLong)},
        {"i32", torch::arange(3, torch::kInt)},
        {"u8", torch::arange(5, torch::kByte)},
        {"bool", torch::tensor({true, false, true})},
        {"scalar", torch::tensor(3.5)},
        {"empty", torch::zeros({0, 4})},
        {"noncontig", torch::randn({4, 6}).t()},
    };
    const std::string p = dir + "/a.safetensors";
    write_safetensors(p, ts, {{"format", "pt"}});
    SafeTensorsFile f(p);
    XS_CHECK(f.tensors().size() == ts.size());
    XS_CHECK(f.metadata().at("format") == "pt");
    for (const auto& [name, t] : ts) {
        auto r = f.get(name);
        XS_CHECK_MSG(r.scalar_type() == t.scalar_type() && r.sizes() == t.sizes(), name);
        XS_CHECK_MSG(torch::equal(r, t.contiguous()), name);
    }
    // The header is 8-byte aligned so data is viewed in place (no copy): the pointer lies in the file map.
    auto v = f.get("f64");
    XS_CHECK(reinterpret_cast<uintptr_t>(v.data_ptr()) % 8 == 0);
    // Through a set on the single file, and via a folder containing model.safetensors.
    fs::copy_file(p, dir + "/model.safetensors");
    auto set = SafeTensorsSet::open(dir);
    XS_CHECK(set.names().size() == ts.size() && set.contains("bf16"));
    XS_CHECK(torch::equal(set.get("i64"), ts[4].second));
    XS_CHECK_THROWS(write_safetensors(dir + "/dup.safetensors", {{"x", torch::zeros(1)}, {"x", torch::zeros(1)}}),
                    xs::Error, "given twice");
}

XS_TEST(header_errors_are_reported_with_the_cause) {
    const std::string dir = tmp_dir("err");
    const std::string p = dir + "/bad.safetensors";
    // shorter than the length field
    { std::ofstream(p, std::ios::binary) << "abc"; }
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "shorter than the 8-byte header");
    // header length past the end (truncated)
    write_raw(p, "{}", 0, 100);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "truncated");
    // absurd header length
    write_raw(p, "{}", 0, int64_t(1) << 40);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "implausible");
    // not JSON
    write_raw(p, "{\"a\": [1,", 0);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "not valid JSON");
    // unknown dtype
    write_raw(p, R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}})", 4);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "unsupported safetensors dtype \"F7\"");
    // shape and byte range disagree
    write_raw(p, R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", 12);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "needs 16 bytes but data_offsets span 12");
    // data section shorter than the offsets (a truncated file)
    write_raw(p, R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 10);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "truncated: tensor \"a\" ends at byte 16");
    // overlapping ranges
    write_raw(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "overlapping or gapped");
    // trailing bytes not covered by any tensor
    write_raw(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 12);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "tensors cover 8");
    // missing fields / wrong types
    write_raw(p, R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "missing array field shape");
    write_raw(p, R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8);
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "non-negative");
    // a real file cut in the middle of its data
    const std::string good = dir + "/good.safetensors";
    write_safetensors(good, {{"w", torch::randn({64, 64})}});
    std::string bytes = read_file(good);
    { std::ofstream(p, std::ios::binary) << bytes.substr(0, bytes.size() / 2); }
    XS_CHECK_THROWS(SafeTensorsFile f(p), xs::Error, "truncated");
    XS_CHECK_THROWS(SafeTensorsFile f(dir + "/nonexistent.safetensors"), xs::Error, "cannot open");
    // unknown name
    SafeTensorsFile ok(good);
    XS_CHECK_THROWS(ok.get("nope"), xs::Error, "no tensor named \"nope\"");
}

XS_TEST(sharded_writer_and_index) {
    const std::string dir = tmp_dir("shard");
    torch::manual_seed(1);
    std::vector<std::pair<std::string, torch::Tensor>> ts;
    for (int i = 0; i < 7; ++i) ts.emplace_back("layer." + std::to_string(i) + ".w", torch::randn({10, 10}));  // 400 B each
    ts.emplace_back("big", torch::randn({50, 50}));  // 10000 B: a shard of its own
    ShardedSafeTensorsWriter w(dir, 1000);
    for (const auto& [n, t] : ts) w.add(n, t);
    XS_CHECK_THROWS(w.add("big", torch::zeros(1)), xs::Error, "given twice");
    auto files = w.finish();
    // 7 x 400 B in shards of <= 1000 B: 2 + 2 + 2 + 1, then big alone -> 5 shards + index
    XS_CHECK_MSG(files.size() == 6, std::to_string(files.size()));
    XS_CHECK(fs::path(files[0]).filename() == "model-00001-of-00005.safetensors");
    XS_CHECK(fs::path(files.back()).filename() == "model.safetensors.index.json");
    XS_CHECK(read_file(files.back()).find("\"total_size\": 12800") != std::string::npos);
    auto set = SafeTensorsSet::open(dir);
    XS_CHECK(set.names().size() == ts.size());
    for (const auto& [n, t] : ts) XS_CHECK_MSG(torch::equal(set.get(n), t), n);
    // An index naming a tensor its shard lacks is rejected.
    std::string idx = read_file(files.back());
    auto pos = idx.find("\"big\"");
    idx.replace(pos, 5, "\"bog\"");
    { std::ofstream(dir + "/model.safetensors.index.json") << idx; }
    XS_CHECK_THROWS(SafeTensorsSet::open(dir), xs::Error, "has no such tensor");
    // A single shard is named model.safetensors.
    const std::string d2 = tmp_dir("shard1");
    ShardedSafeTensorsWriter w2(d2, 1 << 20);
    w2.add("x", torch::ones({3}));
    auto f2 = w2.finish();
    XS_CHECK(f2.size() == 2 && fs::path(f2[0]).filename() == "model.safetensors");
    XS_CHECK(torch::equal(SafeTensorsSet::open(d2).get("x"), torch::ones({3})));
}

XS_TEST(loader_checks_everything_and_reports_once) {
    const std::string dir = tmp_dir("load");
    Tiny src;
    {
        torch::NoGradGuard g;
        for (auto& p : src.parameters()) p.copy_(torch::randn_like(p));
        src.buf.copy_(torch::tensor({7, 9}, torch::kLong));
    }
    std::vector<std::pair<std::string, torch::Tensor>> ts;
    for (auto& p : src.named_parameters()) ts.emplace_back("m." + p.key(), p.value());
    for (auto& b : src.named_buffers()) ts.emplace_back("m." + b.key(), b.value());
    write_safetensors(dir + "/ok.safetensors", ts);
    Tiny dst;
    auto rep = load_weights(dst, SafeTensorsSet::open(dir + "/ok.safetensors"), with_prefix("m."));
    XS_CHECK(rep.tensors == 5);
    XS_CHECK(torch::equal(dst.a, src.a) && torch::equal(dst.inner->weight, src.inner->weight) &&
             torch::equal(dst.buf, src.buf));
    // Progress: once per tensor, rising to the total, which is the bytes read.
    {
        std::vector<std::pair<int64_t, int64_t>> steps;
        LoadOptions lo = with_prefix("m.");
        lo.on_progress = [&](int64_t done, int64_t total) { steps.emplace_back(done, total); };
        Tiny d;
        auto r = load_weights(d, SafeTensorsSet::open(dir + "/ok.safetensors"), lo);
        XS_CHECK(steps.size() == 5);
        for (size_t i = 0; i < steps.size(); ++i) {
            XS_CHECK(steps[i].second == r.bytes);
            if (i) XS_CHECK(steps[i].first > steps[i - 1].first);
        }
        XS_CHECK(!steps.empty() && steps.back().first == r.bytes);
        // A callback that throws abandons the load there (how a cancelled GUI load stops).
        int calls = 0;
        lo.on_progress = [&](int64_t, int64_t) {
            if (++calls == 2) throw xs::Cancelled();
        };
        Tiny d2;
        bool cancelled = false;
        try {
            load_weights(d2, SafeTensorsSet::open(dir + "/ok.safetensors"), lo);
        } catch (const xs::Cancelled&) {
            cancelled = true;
        }
        XS_CHECK(cancelled && calls == 2);
    }

    // Broken: "a" missing, "b" with a wrong shape, "inner.bias" with a wrong dtype, one extra name.
    std::vector<std::pair<std::string, torch::Tensor>> bad = {
        {"m.b", torch::zeros({5})},
        {"m.inner.weight", torch::zeros({2, 3})},
        {"m.inner.bias", torch::zeros({2}, torch::kDouble)},
        {"m.buf", torch::zeros({2}, torch::kLong)},
        {"m.extra", torch::zeros({1})},
        {"other.x", torch::zeros({1})},  // outside the prefix: ignored
    };
    write_safetensors(dir + "/bad.safetensors", bad);
    Tiny d2;
    const auto before = d2.inner->weight.clone();
    try {
        load_weights(d2, SafeTensorsSet::open(dir + "/bad.safetensors"), with_prefix("m."));
        XS_CHECK_MSG(false, "no error");
    } catch (const xs::Error& e) {
        const std::string m = e.what();
        XS_CHECK_MSG(m.find("missing 1: m.a") != std::string::npos, m);
        XS_CHECK_MSG(m.find("unexpected 1: m.extra") != std::string::npos, m);
        XS_CHECK_MSG(m.find("m.b (file [5], model [4])") != std::string::npos, m);
        XS_CHECK_MSG(m.find("m.inner.bias (file F64, model Float)") != std::string::npos, m);
        XS_CHECK_MSG(m.find("other.x") == std::string::npos, m);
    }
    XS_CHECK(torch::equal(d2.inner->weight, before));  // nothing copied on error

    // dtype conversion when allowed; missing names tolerated by prefix.
    std::vector<std::pair<std::string, torch::Tensor>> conv;
    for (auto& [n, t] : ts) conv.emplace_back(n, t.is_floating_point() ? t.to(torch::kBFloat16) : t);
    write_safetensors(dir + "/bf16.safetensors", conv);
    Tiny d3;
    XS_CHECK_THROWS(load_weights(d3, SafeTensorsSet::open(dir + "/bf16.safetensors"), with_prefix("m.")), xs::Error,
                    "model Float");
    LoadOptions lo = with_prefix("m.");
    lo.convert_dtype = true;
    load_weights(d3, SafeTensorsSet::open(dir + "/bf16.safetensors"), lo);
    XS_CHECK(torch::equal(d3.a, src.a.to(torch::kBFloat16).to(torch::kFloat)));
    LoadOptions lm = with_prefix("m.");
    lm.allow_missing = {"a", "b"};
    std::vector<std::pair<std::string, torch::Tensor>> part;
    for (auto& [n, t] : ts)
        if (n != "m.a" && n != "m.b") part.emplace_back(n, t);
    write_safetensors(dir + "/part.safetensors", part);
    Tiny d4;
    XS_CHECK(load_weights(d4, SafeTensorsSet::open(dir + "/part.safetensors"), lm).tensors == 3);
}

XS_TEST_MAIN()
