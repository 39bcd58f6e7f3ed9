#include "core/io/grounding_json.h"

#include <algorithm>
#include <set>

#include "core/io/json_read.h"

namespace xs {

namespace {

using ojson = nlohmann::ordered_json;
using namespace jsonr;

// How many points each kind takes when its geometry is known.
bool point_count_fits(VisualPrompt::Kind kind, size_t n) {
    switch (kind) {
        case VisualPrompt::Kind::Point: return n == 1;
        case VisualPrompt::Kind::Box: return n == 2;
        case VisualPrompt::Kind::Scribble: return n >= 1;
        case VisualPrompt::Kind::Mask: return n == 0;
    }
    return false;
}

std::vector<int64_t> instance_links(const json& j, const std::string& src, const std::string& path,
                                    const std::vector<int64_t>& instance_ids) {
    const json& list = get_array(j, src, path);
    std::vector<int64_t> out;
    for (size_t i = 0; i < list.size(); ++i) {
        const int64_t id = get_int(list[i], src, index(path, i));
        if (std::find(instance_ids.begin(), instance_ids.end(), id) == instance_ids.end())
            fail(src, index(path, i), "instance " + std::to_string(id) + " is not an instance of this image");
        if (std::find(out.begin(), out.end(), id) != out.end())
            fail(src, index(path, i), "instance " + std::to_string(id) + " is listed twice");
        out.push_back(id);
    }
    return out;
}

std::string optional_string(const json& j, const char* key, const std::string& src, const std::string& path) {
    return j.contains(key) ? get_string(j.at(key), src, join(path, key)) : std::string();
}

int64_t optional_int(const json& j, const char* key, const std::string& src, const std::string& path) {
    return j.contains(key) ? get_int(j.at(key), src, join(path, key)) : 0;
}

}  // namespace

ojson rle_to_json(const Rle& rle) { return {{"size", {rle.height, rle.width}}, {"counts", rle_to_string(rle)}}; }

Rle rle_from_json(const json& j, const std::string& src, const std::string& path, int height, int width) {
    get_object(j, src, path);
    const json& size = get_array(field(j, "size", src, path), src, join(path, "size"));
    if (size.size() != 2) fail(src, join(path, "size"), "expected [height, width]");
    const int h = get_int32(size[0], src, join(path, "size[0]"));
    const int w = get_int32(size[1], src, join(path, "size[1]"));
    if (h != height || w != width) {
        fail(src, join(path, "size"),
             "[" + std::to_string(h) + ", " + std::to_string(w) + "] differs from the image size [" +
                 std::to_string(height) + ", " + std::to_string(width) + "]");
    }
    const json& counts = field(j, "counts", src, path);
    const std::string cp = join(path, "counts");
    if (counts.is_string()) {
        try {
            return rle_from_string(counts.get<std::string>(), h, w);
        } catch (const Error& e) {
            fail(src, cp, e.what());
        }
    }
    if (!counts.is_array()) fail(src, cp, "expected a string or a list of run lengths, got " + type_text(counts));
    Rle r;
    r.height = h;
    r.width = w;
    uint64_t sum = 0;
    for (size_t k = 0; k < counts.size(); ++k) {
        const int64_t c = get_int(counts[k], src, index(cp, k));
        if (c < 0 || c > int64_t(UINT32_MAX)) fail(src, index(cp, k), "invalid run length " + std::to_string(c));
        r.counts.push_back(uint32_t(c));
        sum += uint64_t(c);
    }
    if (sum != uint64_t(h) * uint64_t(w))
        fail(src, cp, "RLE counts sum to " + std::to_string(sum) + ", expected " + std::to_string(uint64_t(h) * uint64_t(w)));
    return rle_encode(rle_decode(r));  // canonical runs, as every mask in the project
}

ojson visual_prompt_to_json(const VisualPrompt& p) {
    ojson j;
    j["kind"] = visual_prompt_kind_name(p.kind);
    if (!p.positive) j["positive"] = false;
    if (!p.points.empty()) {
        ojson pts = ojson::array();
        for (const auto& xy : p.points) pts.push_back({xy[0], xy[1]});
        j["points"] = std::move(pts);
    }
    if (p.radius > 0) j["radius"] = p.radius;
    if (p.raster.width > 0) j["mask"] = rle_to_json(p.raster);
    return j;
}

VisualPrompt visual_prompt_from_json(const json& j, const std::string& src, const std::string& path, int width,
                                     int height) {
    get_object(j, src, path);
    VisualPrompt p;
    const std::string kind = get_string(field(j, "kind", src, path), src, join(path, "kind"));
    if (!visual_prompt_kind_from_name(kind, p.kind))
        fail(src, join(path, "kind"), "unknown kind \"" + kind + "\" (point, box, scribble or mask)");
    if (j.contains("positive")) p.positive = get_bool(j.at("positive"), src, join(path, "positive"));
    if (j.contains("points")) {
        const std::string pp = join(path, "points");
        const json& pts = get_array(j.at("points"), src, pp);
        for (size_t i = 0; i < pts.size(); ++i) {
            const json& xy = get_array(pts[i], src, index(pp, i));
            if (xy.size() != 2) fail(src, index(pp, i), "expected [x, y]");
            const double x = get_number(xy[0], src, index(pp, i) + "[0]");
            const double y = get_number(xy[1], src, index(pp, i) + "[1]");
            // Far outside the image is corrupt data, not a prompt (rasterising it would walk the distance).
            if (x < -width || x > 2.0 * width || y < -height || y > 2.0 * height)
                fail(src, index(pp, i), "lies far outside the " + std::to_string(width) + "x" + std::to_string(height) + " image");
            p.points.push_back({x, y});
        }
    }
    if (j.contains("radius")) {
        p.radius = get_number(j.at("radius"), src, join(path, "radius"));
        if (p.radius < 0 || p.radius > std::max(width, height)) fail(src, join(path, "radius"), "out of range");
    }
    if (j.contains("mask")) p.raster = rle_from_json(j.at("mask"), src, join(path, "mask"), height, width);
    const bool raster_only = p.points.empty() && p.raster.width > 0;
    if (p.kind == VisualPrompt::Kind::Mask && p.raster.width == 0) fail(src, path, "a mask prompt needs \"mask\"");
    if (!raster_only && !point_count_fits(p.kind, p.points.size()))
        fail(src, join(path, "points"), std::to_string(p.points.size()) + " point(s) do not make a " + kind + " prompt");
    if (!raster_only && p.raster.width > 0 && p.kind != VisualPrompt::Kind::Mask)
        fail(src, join(path, "mask"), "a " + kind + " prompt has points or a mask, not both");
    return p;
}

ojson visual_prompts_to_json(const std::vector<VisualPrompt>& prompts) {
    ojson list = ojson::array();
    for (const VisualPrompt& p : prompts) list.push_back(visual_prompt_to_json(p));
    return list;
}

std::vector<VisualPrompt> visual_prompts_from_json(const json& j, const std::string& src, const std::string& path,
                                                   int width, int height) {
    const json& list = get_array(j, src, path);
    std::vector<VisualPrompt> out;
    for (size_t i = 0; i < list.size(); ++i) out.push_back(visual_prompt_from_json(list[i], src, index(path, i), width, height));
    return out;
}

ojson prompt_to_json(const InstancePrompt& p) {
    ojson j = ojson::object();
    if (!p.task.empty()) j["task"] = p.task;
    if (!p.text.empty()) j["text"] = p.text;
    if (!p.visual.empty()) j["visual"] = visual_prompts_to_json(p.visual);
    return j;
}

InstancePrompt prompt_from_json(const json& j, const std::string& src, const std::string& path, int width, int height) {
    get_object(j, src, path);
    InstancePrompt p;
    p.task = optional_string(j, "task", src, path);
    p.text = optional_string(j, "text", src, path);
    if (j.contains("visual")) p.visual = visual_prompts_from_json(j.at("visual"), src, join(path, "visual"), width, height);
    return p;
}

ojson caption_to_json(const GroundedCaption& c) {
    ojson j;
    j["text"] = c.text;
    ojson phrases = ojson::array();
    for (const GroundedPhrase& ph : c.phrases) phrases.push_back({{"start", ph.start}, {"end", ph.end}, {"instances", ph.instance_ids}});
    j["phrases"] = std::move(phrases);
    j["source"] = c.source;
    j["created_ms"] = c.created_ms;
    return j;
}

GroundedCaption caption_from_json(const json& j, const std::string& src, const std::string& path,
                                  const std::vector<int64_t>& instance_ids) {
    get_object(j, src, path);
    GroundedCaption c;
    c.text = get_string(field(j, "text", src, path), src, join(path, "text"));
    const int64_t length = utf8_length(c.text);
    const std::string pp = join(path, "phrases");
    const json& phrases = get_array(field(j, "phrases", src, path), src, pp);
    for (size_t i = 0; i < phrases.size(); ++i) {
        const std::string ip = index(pp, i);
        const json& jp = get_object(phrases[i], src, ip);
        GroundedPhrase ph;
        ph.start = get_int(field(jp, "start", src, ip), src, join(ip, "start"));
        ph.end = get_int(field(jp, "end", src, ip), src, join(ip, "end"));
        if (ph.start < 0 || ph.end <= ph.start || ph.end > length)
            fail(src, ip, "span [" + std::to_string(ph.start) + ", " + std::to_string(ph.end) +
                              ") is not within the caption's " + std::to_string(length) + " characters");
        ph.instance_ids = instance_links(field(jp, "instances", src, ip), src, join(ip, "instances"), instance_ids);
        c.phrases.push_back(std::move(ph));
    }
    c.source = optional_string(j, "source", src, path);
    c.created_ms = optional_int(j, "created_ms", src, path);
    return c;
}

ojson episode_to_json(const FindAllEpisode& e) {
    ojson j;
    if (e.example_instance_id != 0) j["example_instance"] = e.example_instance_id;
    if (!e.example.empty()) j["example"] = visual_prompts_to_json(e.example);
    j["accepted"] = e.accepted;
    ojson rejected = ojson::array();
    for (const RejectedCandidate& r : e.rejected) rejected.push_back({{"score", double(r.score)}, {"mask", rle_to_json(r.mask)}});
    j["rejected"] = std::move(rejected);
    j["source"] = e.source;
    j["created_ms"] = e.created_ms;
    return j;
}

FindAllEpisode episode_from_json(const json& j, const std::string& src, const std::string& path, int width, int height,
                                 const std::vector<int64_t>& instance_ids) {
    get_object(j, src, path);
    FindAllEpisode e;
    if (j.contains("example_instance")) {
        const std::vector<int64_t> one =
            instance_links(json::array({j.at("example_instance")}), src, join(path, "example_instance"), instance_ids);
        e.example_instance_id = one[0];
    }
    if (j.contains("example")) e.example = visual_prompts_from_json(j.at("example"), src, join(path, "example"), width, height);
    e.accepted = instance_links(field(j, "accepted", src, path), src, join(path, "accepted"), instance_ids);
    const std::string rp = join(path, "rejected");
    const json& rejected = get_array(field(j, "rejected", src, path), src, rp);
    for (size_t i = 0; i < rejected.size(); ++i) {
        const std::string ip = index(rp, i);
        const json& jr = get_object(rejected[i], src, ip);
        RejectedCandidate r;
        r.score = float(get_number(field(jr, "score", src, ip), src, join(ip, "score")));
        if (!(r.score >= 0.f && r.score <= 1.f)) fail(src, join(ip, "score"), "must be within [0, 1]");
        r.mask = rle_from_json(field(jr, "mask", src, ip), src, join(ip, "mask"), height, width);
        e.rejected.push_back(std::move(r));
    }
    e.source = optional_string(j, "source", src, path);
    e.created_ms = optional_int(j, "created_ms", src, path);
    return e;
}

std::vector<std::string> sentences_from_json(const json& j, const std::string& src, const std::string& path) {
    const json& list = get_array(j, src, path);
    std::vector<std::string> out;
    for (size_t i = 0; i < list.size(); ++i) {
        std::string s = get_string(list[i], src, index(path, i));
        if (s.empty()) fail(src, index(path, i), "empty sentence");
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace xs
