// merge-coco: shard outputs of `xsam-cli batch` -> one COCO file (see merge.h).
#include "core/coco/merge.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/coco/batch.h"
#include "core/io/file_io.h"
#include "core/io/json_names.h"
#include "core/util/error.h"

namespace xs {

namespace {

using namespace jsonr;

struct Part {
    std::string name;
    batch::RunInfo run;
    nlohmann::json params;  // for comparison
    std::vector<batch::ImageRecord> records;
};

std::string list_text(const std::vector<std::string>& names) {
    std::string s = "[";
    for (size_t i = 0; i < names.size(); ++i) s += (i ? ", \"" : "\"") + names[i] + "\"";
    return s + "]";
}

Part parse_part(const std::string& name, const std::string& text) {
    Part part;
    part.name = name;
    const json root = parse(text, name);
    get_object(root, name, "");
    const json& info = get_object(field(root, "info", name, ""), name, "info");
    if (!info.contains("xsam_batch")) {
        fail(name, "info.xsam_batch",
             "missing: this is not an output of `xsam-cli batch` (merge-coco merges the shard outputs of batch runs)");
    }
    const json& xb = get_object(info["xsam_batch"], name, "info.xsam_batch");
    const std::string xp = "info.xsam_batch";
    part.params = get_object(field(xb, "params", name, xp), name, join(xp, "params"));
    part.run.params = batch::ojson::parse(part.params.dump());
    const json& cats = get_array(field(xb, "categories", name, xp), name, join(xp, "categories"));
    for (size_t k = 0; k < cats.size(); ++k)
        part.run.categories.push_back(get_string(cats[k], name, index(join(xp, "categories"), k)));
    part.run.images_listed = get_int(field(xb, "images_listed", name, xp), name, join(xp, "images_listed"));
    if (part.run.images_listed < 0) fail(name, join(xp, "images_listed"), "negative");
    part.run.list_fingerprint =
        get_string(field(xb, "list_fingerprint", name, xp), name, join(xp, "list_fingerprint"));
    if (xb.contains("shard")) {
        const std::string s = get_string(xb["shard"], name, join(xp, "shard"));
        try {
            part.run.shard = batch::parse_shard(s);
        } catch (const Error& e) {
            fail(name, join(xp, "shard"), e.what());
        }
    }
    const int64_t listed = part.run.images_listed;
    auto check_id = [&](int64_t id, const std::string& path) {
        if (id < 1 || id > listed)
            fail(name, path, "image id " + std::to_string(id) + " outside 1.." + std::to_string(listed) +
                                 " (batch numbers images by their position in the full list)");
    };
    auto check_shard = [&](const std::string& file_name, const std::string& path) {
        if (!batch::in_shard(file_name, part.run.shard))
            fail(name, path, "\"" + file_name + "\" does not belong to shard " + part.run.shard.text() +
                                 " (was the part edited, or made by another program?)");
    };

    std::set<int64_t> ids;
    std::set<std::string> names;
    const json& failed = get_array(field(xb, "failed_images", name, xp), name, join(xp, "failed_images"));
    for (size_t k = 0; k < failed.size(); ++k) {
        const std::string p = index(join(xp, "failed_images"), k);
        get_object(failed[k], name, p);
        batch::ImageRecord r;
        const int64_t id = get_int(field(failed[k], "id", name, p), name, join(p, "id"));
        check_id(id, join(p, "id"));
        r.index = id - 1;
        r.file_name = get_name(failed[k], "file_name", name, p);
        r.error = get_string(field(failed[k], "error", name, p), name, join(p, "error"));
        check_shard(r.file_name, join(p, "file_name"));
        if (!ids.insert(id).second) fail(name, join(p, "id"), "image id " + std::to_string(id) + " appears twice");
        if (!names.insert(r.file_name).second) fail(name, join(p, "file_name"), "\"" + r.file_name + "\" appears twice");
        part.records.push_back(std::move(r));
    }

    // categories[] must be exactly the run's names with ids 1..K
    const json& jcats = get_array(field(root, "categories", name, ""), name, "categories");
    std::vector<std::string> top;
    for (size_t k = 0; k < jcats.size(); ++k) {
        const std::string p = index("categories", k);
        get_object(jcats[k], name, p);
        const int64_t id = get_int(field(jcats[k], "id", name, p), name, join(p, "id"));
        if (id != int64_t(k) + 1)
            fail(name, join(p, "id"), "expected " + std::to_string(k + 1) + " (batch numbers categories 1..K)");
        top.push_back(get_string(field(jcats[k], "name", name, p), name, join(p, "name")));
    }
    if (top != part.run.categories)
        fail(name, "categories", "the names " + list_text(top) + " differ from info.xsam_batch.categories " +
                                     list_text(part.run.categories));

    const json& imgs = get_array(field(root, "images", name, ""), name, "images");
    std::map<int64_t, size_t> by_id;  // image id -> records index
    for (size_t k = 0; k < imgs.size(); ++k) {
        const std::string p = index("images", k);
        const json& ji = get_object(imgs[k], name, p);
        batch::ImageRecord r;
        r.ok = true;
        const int64_t id = get_int(field(ji, "id", name, p), name, join(p, "id"));
        check_id(id, join(p, "id"));
        r.index = id - 1;
        r.file_name = get_name(ji, "file_name", name, p);
        r.width = get_int32(field(ji, "width", name, p), name, join(p, "width"));
        r.height = get_int32(field(ji, "height", name, p), name, join(p, "height"));
        if (r.width <= 0 || r.height <= 0) fail(name, p, "the image size must be positive");
        if (ji.contains("caption")) r.caption = get_string(ji["caption"], name, join(p, "caption"));
        check_shard(r.file_name, join(p, "file_name"));
        if (!ids.insert(id).second) fail(name, join(p, "id"), "image id " + std::to_string(id) + " appears twice");
        if (!names.insert(r.file_name).second) fail(name, join(p, "file_name"), "\"" + r.file_name + "\" appears twice");
        by_id[id] = part.records.size();
        part.records.push_back(std::move(r));
    }

    const json& anns = get_array(field(root, "annotations", name, ""), name, "annotations");
    const int64_t ncat = int64_t(part.run.categories.size());
    for (size_t k = 0; k < anns.size(); ++k) {
        const std::string p = index("annotations", k);
        const json& ja = get_object(anns[k], name, p);
        get_int(field(ja, "id", name, p), name, join(p, "id"));
        const int64_t image_id = get_int(field(ja, "image_id", name, p), name, join(p, "image_id"));
        auto it = by_id.find(image_id);
        if (it == by_id.end()) fail(name, join(p, "image_id"), std::to_string(image_id) + " is not an image of this file");
        batch::ImageRecord& img = part.records[it->second];
        batch::AnnotationRecord a;
        const int64_t cat = get_int(field(ja, "category_id", name, p), name, join(p, "category_id"));
        if (cat < 1 || cat > ncat)
            fail(name, join(p, "category_id"), std::to_string(cat) + " is not a category of this file (1.." +
                                                   std::to_string(ncat) + ")");
        a.category = int(cat - 1);
        const json& seg = get_object(field(ja, "segmentation", name, p), name, join(p, "segmentation"));
        const std::string sp = join(p, "segmentation");
        const json& size = get_array(field(seg, "size", name, sp), name, join(sp, "size"));
        if (size.size() != 2 || get_int(size[0], name, join(sp, "size")) != img.height ||
            get_int(size[1], name, join(sp, "size")) != img.width)
            fail(name, join(sp, "size"), "expected [" + std::to_string(img.height) + ", " + std::to_string(img.width) +
                                             "] (the image's height and width), got " + size.dump());
        a.height = img.height;
        a.width = img.width;
        a.counts = get_string(field(seg, "counts", name, sp), name, join(sp, "counts"));
        a.area = get_int(field(ja, "area", name, p), name, join(p, "area"));
        if (a.area < 0) fail(name, join(p, "area"), "negative");
        const json& bb = get_array(field(ja, "bbox", name, p), name, join(p, "bbox"));
        if (bb.size() != 4) fail(name, join(p, "bbox"), "expected [x, y, w, h]");
        for (size_t q = 0; q < 4; ++q) a.bbox[q] = get_int32(bb[q], name, index(join(p, "bbox"), q));
        a.score = get_number(field(ja, "score", name, p), name, join(p, "score"));
        if (ja.contains("phrase")) a.phrase = get_string(ja["phrase"], name, join(p, "phrase"));
        img.annotations.push_back(std::move(a));
    }
    return part;
}

}  // namespace

std::string merge_coco_texts(const std::vector<std::pair<std::string, std::string>>& texts, MergeReport* report) {
    if (texts.empty()) throw Error("merge-coco needs at least one part file");
    std::vector<Part> parts;
    for (const auto& [name, text] : texts) parts.push_back(parse_part(name, text));

    const Part& first = parts.front();
    std::map<int, std::string> shard_owner;
    for (const Part& p : parts) {
        if (&p != &first) {
            if (p.run.categories != first.run.categories)
                throw Error("the parts do not agree on the categories: " + first.name + " has " +
                            list_text(first.run.categories) + ", " + p.name + " has " + list_text(p.run.categories));
            const std::string diff = batch::json_first_difference(first.params, p.params, first.name, p.name, "params");
            if (!diff.empty()) throw Error("the parts come from runs with different settings: " + diff);
            if (p.run.images_listed != first.run.images_listed || p.run.list_fingerprint != first.run.list_fingerprint)
                throw Error("the parts were made from different image lists: " + first.name + " saw " +
                            std::to_string(first.run.images_listed) + " images (fingerprint " +
                            first.run.list_fingerprint + "), " + p.name + " saw " +
                            std::to_string(p.run.images_listed) + " (fingerprint " + p.run.list_fingerprint + ")");
            if (p.run.shard.count != first.run.shard.count)
                throw Error("the parts split the list into different numbers of shards: " + first.name + " is shard " +
                            first.run.shard.text() + ", " + p.name + " is shard " + p.run.shard.text());
        }
        auto [it, fresh] = shard_owner.emplace(p.run.shard.index, p.name);
        if (!fresh)
            throw Error("shard " + p.run.shard.text() + " is given twice: " + it->second + " and " + p.name +
                        " (duplicated images)");
    }
    const int n = first.run.shard.count;
    std::vector<std::string> missing;
    for (int i = 0; i < n; ++i)
        if (!shard_owner.count(i)) missing.push_back(std::to_string(i) + "/" + std::to_string(n));
    if (!missing.empty()) {
        std::string m;
        for (size_t k = 0; k < missing.size() && k < 20; ++k) m += (k ? ", " : "") + missing[k];
        if (missing.size() > 20) m += ", ...";
        throw Error(std::to_string(missing.size()) + " of " + std::to_string(n) + " shards missing (" + m +
                    "): merge-coco needs the output of every shard");
    }

    std::vector<batch::ImageRecord> all;
    std::map<int64_t, std::string> owner;  // image index -> part (duplicates across parts)
    for (Part& p : parts) {
        for (batch::ImageRecord& r : p.records) {
            auto [it, fresh] = owner.emplace(r.index, p.name);
            if (!fresh)
                throw Error("image \"" + r.file_name + "\" (id " + std::to_string(r.index + 1) + ") is in both " +
                            it->second + " and " + p.name);
            all.push_back(std::move(r));
        }
    }
    batch::RunInfo run = first.run;
    run.shard = batch::ShardSpec{};
    const std::string out = batch::batch_coco_json(run, all);
    if (report) {
        MergeReport rep;
        rep.parts = int(parts.size());
        rep.shards = n;
        for (const batch::ImageRecord& r : all) {
            if (r.ok) {
                ++rep.images;
                rep.annotations += int(r.annotations.size());
            } else {
                ++rep.failed_images;
            }
        }
        *report = rep;
    }
    return out;
}

void merge_coco_files(const std::vector<std::string>& paths, const std::string& out_path, MergeReport* report) {
    std::vector<std::pair<std::string, std::string>> texts;
    for (const std::string& p : paths) texts.emplace_back(p, read_whole_file(p, "part file"));
    const std::string text = merge_coco_texts(texts, report);
    atomic_write_file(out_path, text);
}

}  // namespace xs
