#include "core/io/project_file.h"

#include <cctype>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "core/io/attributes_json.h"
#include "core/io/grounding_json.h"
#include "core/io/json_names.h"
#include "core/util/error.h"

namespace xs {

namespace {

using ojson = nlohmann::ordered_json;
using namespace jsonr;

constexpr const char* kFormatName = "xsam-studio-project";

std::string color_to_hex(Rgb c) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

bool hex_to_color(const std::string& s, Rgb& c) {
    if (s.size() != 7 || s[0] != '#') return false;
    unsigned v[3];
    for (int i = 0; i < 3; ++i) {
        const std::string part = s.substr(1 + 2 * i, 2);
        char* end = nullptr;
        v[i] = unsigned(std::strtoul(part.c_str(), &end, 16));
        if (!end || *end != '\0' || !std::isxdigit(static_cast<unsigned char>(part[0])) ||
            !std::isxdigit(static_cast<unsigned char>(part[1]))) {
            return false;
        }
    }
    c = Rgb{uint8_t(v[0]), uint8_t(v[1]), uint8_t(v[2])};
    return true;
}

// The image's captions and episodes as saved: without links to instances deleted since.
ImageRecord saved_links(const ImageRecord& img) {
    ImageRecord linked;
    linked.captions = img.captions;
    linked.episodes = img.episodes;
    for (const Instance& inst : img.instances) {
        linked.instances.emplace_back();
        linked.instances.back().id = inst.id;
    }
    prune_dead_links(linked);
    return linked;
}

std::vector<int64_t> instance_ids_of(const ImageRecord& img) {
    std::vector<int64_t> ids;
    for (const Instance& inst : img.instances) ids.push_back(inst.id);
    return ids;
}

// Captions and episodes of an image (version 2; absent in older files).
void read_image_grounding(const json& jimg, const std::string& src, const std::string& path, ImageRecord& img) {
    const std::vector<int64_t> ids = instance_ids_of(img);
    if (jimg.contains("captions")) {
        const std::string cp = join(path, "captions");
        const json& caps = get_array(jimg.at("captions"), src, cp);
        for (size_t i = 0; i < caps.size(); ++i) img.captions.push_back(caption_from_json(caps[i], src, index(cp, i), ids));
    }
    if (jimg.contains("episodes")) {
        const std::string ep = join(path, "episodes");
        const json& eps = get_array(jimg.at("episodes"), src, ep);
        for (size_t i = 0; i < eps.size(); ++i)
            img.episodes.push_back(episode_from_json(eps[i], src, index(ep, i), img.width, img.height, ids));
    }
}

bool uses_attributes(const Project& project) {
    for (const Category& c : project.categories)
        if (!c.attributes.empty()) return true;
    for (const ImageRecord& img : project.images)
        for (const Instance& inst : img.instances)
            if (has_attributes(inst)) return true;
    return false;
}

// An instance's attributes other than the defaults (version 3), each field only when set.
void write_instance_attributes(const Instance& inst, ojson& j) {
    if (inst.iscrowd) j["iscrowd"] = true;
    if (inst.occluded) j["occluded"] = true;
    if (inst.truncated) j["truncated"] = true;
    if (!inst.note.empty()) j["note"] = inst.note;
    if (inst.attributes.empty()) return;
    ojson custom = ojson::object();
    for (const auto& [name, value] : inst.attributes) custom[name] = attribute_value_to_json(value);
    j["attributes"] = std::move(custom);
}

void read_instance_attributes(const json& ji, const Category& category, const std::string& src, const std::string& ip,
                              Instance& inst) {
    const auto flag = [&](const char* key) { return ji.contains(key) && get_bool(ji.at(key), src, join(ip, key)); };
    inst.iscrowd = flag(kAttrCrowd);
    inst.occluded = flag(kAttrOccluded);
    inst.truncated = flag(kAttrTruncated);
    if (ji.contains(kAttrNote)) inst.note = get_string(ji.at(kAttrNote), src, join(ip, kAttrNote));
    if (!ji.contains("attributes")) return;
    const std::string ap = join(ip, "attributes");
    const json& custom = get_object(ji.at("attributes"), src, ap);
    for (auto it = custom.begin(); it != custom.end(); ++it) {
        const AttributeSpec* spec = find_attribute(category, it.key());
        if (!spec) fail(src, join(ap, it.key()), "category \"" + category.name + "\" declares no attribute \"" + it.key() + "\"");
        const AttributeValue value = attribute_value_from_json(it.value(), *spec, src, join(ap, it.key()));
        if (!(value == spec->default_value)) inst.attributes[it.key()] = value;
    }
}

// Review status and tags (version 4), one entry per image not at the default, in key order.
ojson reviews_to_json(const std::map<ImageKey, ImageReview>& reviews) {
    ojson list = ojson::array();
    for (const auto& [key, review] : reviews) {
        ojson j;
        put_name(j, "file_name", key);
        j["status"] = review_status_name(review.status);
        if (!review.tags.empty()) j["tags"] = review.tags;
        list.push_back(std::move(j));
    }
    return list;
}

ImageReview review_from_json(const json& j, const std::string& src, const std::string& path) {
    ImageReview review;
    const std::string status = get_string(field(j, "status", src, path), src, join(path, "status"));
    const std::optional<ReviewStatus> known = review_status_from_name(status);
    if (!known) fail(src, join(path, "status"), "unknown status \"" + status + "\" (todo, in_progress, done or needs_review)");
    review.status = *known;
    if (!j.contains("tags")) return review;
    const std::string tp = join(path, "tags");
    const json& tags = get_array(j.at("tags"), src, tp);
    for (size_t i = 0; i < tags.size(); ++i) {
        const std::string tag = get_string(tags[i], src, index(tp, i));
        if (tag.empty() || normalized_tag(tag) != tag)
            fail(src, index(tp, i), "\"" + tag + "\" is not a tag (one line, not empty, no spaces around it)");
        if (review.has_tag(tag)) fail(src, index(tp, i), "duplicate tag \"" + tag + "\"");
        review.tags.insert(std::lower_bound(review.tags.begin(), review.tags.end(), tag), tag);
    }
    return review;
}

void read_reviews(const json& root, const std::string& src, Project& p) {
    if (!root.contains("reviews")) return;  // older files have none
    const json& list = get_array(root.at("reviews"), src, "reviews");
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string path = index("reviews", i);
        const json& j = get_object(list[i], src, path);
        const ImageKey key = get_name(j, "file_name", src, path);
        if (key.empty()) fail(src, join(path, "file_name"), "empty file name");
        if (p.reviews.count(key)) fail(src, join(path, "file_name"), "duplicate file name \"" + utf8_display(key) + "\"");
        p.set_review(key, review_from_json(j, src, path));
    }
}

}  // namespace

// Version 2 added grounding data, version 3 attributes, version 4 review status and tags. A project without either is written as
// version 1, byte for byte as before; one with some is the version that reads them, which older
// builds refuse instead of dropping what they do not know.
int project_format_version(const Project& project) {
    if (!project.reviews.empty()) return 4;
    if (uses_attributes(project)) return 3;
    for (const ImageRecord& img : project.images) {
        if (!img.captions.empty() || !img.episodes.empty()) return 2;
        for (const Instance& inst : img.instances) {
            if (!inst.prompt.empty() || !inst.referring.empty()) return 2;
        }
    }
    return 1;
}

std::string project_to_json(const Project& project) {
    ojson root;
    root["format"] = kFormatName;
    root["version"] = project_format_version(project);
    put_name(root, "image_root", project.image_root);
    root["next_ids"] = {{"category", project.next_category_id},
                        {"image", project.next_image_id},
                        {"instance", project.next_instance_id}};
    ojson cats = ojson::array();
    for (const Category& c : project.categories) {
        ojson jc = {{"id", c.id}, {"name", c.name}, {"color", color_to_hex(c.color)}};
        if (!c.attributes.empty()) jc["attributes"] = attribute_specs_to_json(c.attributes);  // version 3
        cats.push_back(std::move(jc));
    }
    root["categories"] = std::move(cats);
    ojson imgs = ojson::array();
    for (const ImageRecord& img : project.images) {
        ojson insts = ojson::array();
        for (const Instance& inst : img.instances) {
            ojson j;
            j["id"] = inst.id;
            j["category_id"] = inst.category_id;
            j["score"] = double(inst.score);
            j["source"] = inst.source;
            j["created_ms"] = inst.created_ms;
            j["modified_ms"] = inst.modified_ms;
            j["visible"] = inst.visible;
            j["mask"] = {{"size", {inst.mask.height, inst.mask.width}}, {"counts", rle_to_string(inst.mask)}};
            if (!inst.prompt.empty()) j["prompt"] = prompt_to_json(inst.prompt);  // version 2
            if (!inst.referring.empty()) j["referring"] = inst.referring;         // version 2
            write_instance_attributes(inst, j);                                    // version 3
            insts.push_back(std::move(j));
        }
        ojson j;
        j["id"] = img.id;
        put_name(j, "file_name", img.file_name);
        j["width"] = img.width;
        j["height"] = img.height;
        if (img.file_size >= 0 && !img.file_hash.empty()) {
            j["file"] = {{"size", img.file_size}, {"hash", img.file_hash}};  // added in 0.1 (optional)
        }
        j["instances"] = std::move(insts);
        const ImageRecord linked = saved_links(img);
        if (!linked.captions.empty()) {  // version 2
            ojson caps = ojson::array();
            for (const GroundedCaption& c : linked.captions) caps.push_back(caption_to_json(c));
            j["captions"] = std::move(caps);
        }
        if (!linked.episodes.empty()) {  // version 2
            ojson eps = ojson::array();
            for (const FindAllEpisode& e : linked.episodes) eps.push_back(episode_to_json(e));
            j["episodes"] = std::move(eps);
        }
        imgs.push_back(std::move(j));
    }
    root["images"] = std::move(imgs);
    if (!project.reviews.empty()) root["reviews"] = reviews_to_json(project.reviews);  // version 4
    return root.dump(1) + "\n";
}

Project project_from_json(const std::string& json_text, const std::string& src) {
    const json root = parse(json_text, src);
    get_object(root, src, "");
    const std::string format = get_string(field(root, "format", src, ""), src, "format");
    if (format != kFormatName) fail(src, "format", "not an X-SAM Studio project (format \"" + format + "\")");
    const int64_t version = get_int(field(root, "version", src, ""), src, "version");
    if (version < 1) fail(src, "version", "invalid version " + std::to_string(version));
    if (version > kProjectFormatVersion) {
        fail(src, "version",
             "written by a newer X-SAM Studio (format version " + std::to_string(version) +
                 ", this build reads up to " + std::to_string(kProjectFormatVersion) + ")");
    }

    Project p;
    p.image_root = get_name(root, "image_root", src, "");

    const json& cats = get_array(field(root, "categories", src, ""), src, "categories");
    std::set<int> cat_ids;
    std::set<std::string> cat_names;
    for (size_t i = 0; i < cats.size(); ++i) {
        const std::string path = index("categories", i);
        const json& c = get_object(cats[i], src, path);
        Category cat;
        cat.id = get_int32(field(c, "id", src, path), src, join(path, "id"));
        if (cat.id < 1) fail(src, join(path, "id"), "must be >= 1, got " + std::to_string(cat.id));
        if (!cat_ids.insert(cat.id).second) fail(src, join(path, "id"), "duplicate category id " + std::to_string(cat.id));
        cat.name = get_string(field(c, "name", src, path), src, join(path, "name"));
        if (cat.name.empty()) fail(src, join(path, "name"), "empty category name");
        if (!cat_names.insert(cat.name).second) fail(src, join(path, "name"), "duplicate category name \"" + cat.name + "\"");
        const std::string color = get_string(field(c, "color", src, path), src, join(path, "color"));
        if (!hex_to_color(color, cat.color)) fail(src, join(path, "color"), "expected \"#rrggbb\", got \"" + color + "\"");
        if (c.contains("attributes")) cat.attributes = attribute_specs_from_json(c.at("attributes"), src, join(path, "attributes"));
        p.categories.push_back(cat);
    }

    const json& imgs = get_array(field(root, "images", src, ""), src, "images");
    std::set<int> img_ids;
    std::set<std::string> names;
    std::set<int64_t> inst_ids;
    int max_cat = 0, max_img = 0;
    int64_t max_inst = 0;
    for (int id : cat_ids) max_cat = std::max(max_cat, id);
    for (size_t i = 0; i < imgs.size(); ++i) {
        const std::string path = index("images", i);
        const json& jimg = get_object(imgs[i], src, path);
        ImageRecord img;
        img.id = get_int32(field(jimg, "id", src, path), src, join(path, "id"));
        if (img.id < 1) fail(src, join(path, "id"), "must be >= 1, got " + std::to_string(img.id));
        if (!img_ids.insert(img.id).second) fail(src, join(path, "id"), "duplicate image id " + std::to_string(img.id));
        max_img = std::max(max_img, img.id);
        img.file_name = get_name(jimg, "file_name", src, path);
        if (img.file_name.empty()) fail(src, join(path, "file_name"), "empty file name");
        if (!names.insert(img.file_name).second) {
            fail(src, join(path, "file_name"), "duplicate file name \"" + utf8_display(img.file_name) + "\"");
        }
        img.width = get_int32(field(jimg, "width", src, path), src, join(path, "width"));
        img.height = get_int32(field(jimg, "height", src, path), src, join(path, "height"));
        if (img.width <= 0) fail(src, join(path, "width"), "must be > 0");
        if (img.height <= 0) fail(src, join(path, "height"), "must be > 0");
        if (jimg.contains("file")) {  // optional: older files have no fingerprint
            const std::string fp = join(path, "file");
            const json& jf = get_object(jimg.at("file"), src, fp);
            img.file_size = get_int(field(jf, "size", src, fp), src, join(fp, "size"));
            if (img.file_size < 0) fail(src, join(fp, "size"), "must be >= 0");
            img.file_hash = get_string(field(jf, "hash", src, fp), src, join(fp, "hash"));
            if (img.file_hash.empty()) fail(src, join(fp, "hash"), "empty hash");
        }
        const json& insts = get_array(field(jimg, "instances", src, path), src, join(path, "instances"));
        for (size_t k = 0; k < insts.size(); ++k) {
            const std::string ip = index(join(path, "instances"), k);
            const json& ji = get_object(insts[k], src, ip);
            Instance inst;
            inst.id = get_int(field(ji, "id", src, ip), src, join(ip, "id"));
            if (inst.id < 1) fail(src, join(ip, "id"), "must be >= 1");
            if (!inst_ids.insert(inst.id).second) fail(src, join(ip, "id"), "duplicate instance id " + std::to_string(inst.id));
            max_inst = std::max(max_inst, inst.id);
            inst.category_id = get_int32(field(ji, "category_id", src, ip), src, join(ip, "category_id"));
            const Category* category = p.find_category(inst.category_id);
            if (!category) fail(src, join(ip, "category_id"), "unknown category id " + std::to_string(inst.category_id));
            inst.score = float(get_number(field(ji, "score", src, ip), src, join(ip, "score")));
            // A finite double beyond float's range became inf, which is saved as null and made the
            // project unreadable (found by tests/fuzz/fuzz_project).
            if (!std::isfinite(inst.score)) fail(src, join(ip, "score"), "number out of range");
            inst.source = get_string(field(ji, "source", src, ip), src, join(ip, "source"));
            inst.created_ms = get_int(field(ji, "created_ms", src, ip), src, join(ip, "created_ms"));
            inst.modified_ms = get_int(field(ji, "modified_ms", src, ip), src, join(ip, "modified_ms"));
            inst.visible = get_bool(field(ji, "visible", src, ip), src, join(ip, "visible"));
            const std::string mp = join(ip, "mask");
            const json& jm = get_object(field(ji, "mask", src, ip), src, mp);
            const json& size = get_array(field(jm, "size", src, mp), src, join(mp, "size"));
            if (size.size() != 2) fail(src, join(mp, "size"), "expected [height, width]");
            const int h = get_int32(size[0], src, join(mp, "size[0]"));
            const int w = get_int32(size[1], src, join(mp, "size[1]"));
            if (h != img.height || w != img.width) {
                fail(src, join(mp, "size"),
                     "[" + std::to_string(h) + ", " + std::to_string(w) + "] differs from the image size [" +
                         std::to_string(img.height) + ", " + std::to_string(img.width) + "]");
            }
            const std::string counts = get_string(field(jm, "counts", src, mp), src, join(mp, "counts"));
            try {
                inst.mask = rle_from_string(counts, h, w);
            } catch (const Error& e) {
                fail(src, join(mp, "counts"), e.what());
            }
            if (ji.contains("prompt")) inst.prompt = prompt_from_json(ji.at("prompt"), src, join(ip, "prompt"), w, h);
            if (ji.contains("referring")) inst.referring = sentences_from_json(ji.at("referring"), src, join(ip, "referring"));
            read_instance_attributes(ji, *category, src, ip, inst);
            img.instances.push_back(std::move(inst));
        }
        read_image_grounding(jimg, src, path, img);
        p.images.push_back(std::move(img));
    }

    read_reviews(root, src, p);

    const json& next = get_object(field(root, "next_ids", src, ""), src, "next_ids");
    const int next_cat = get_int32(field(next, "category", src, "next_ids"), src, "next_ids.category");
    const int next_img = get_int32(field(next, "image", src, "next_ids"), src, "next_ids.image");
    const int64_t next_inst = get_int(field(next, "instance", src, "next_ids"), src, "next_ids.instance");
    // An id (or next id) at the largest value of its type leaves no id for a new object, and max + 1
    // would overflow (found by tests/fuzz/fuzz_project; see tests/fuzz/test_fuzz_regressions.cpp).
    const auto no_id_left = [&](const char* field_name, const char* what) {
        fail(src, field_name, std::string("ids reach the largest possible value, no id is left for a new ") + what);
    };
    if (max_cat == std::numeric_limits<int>::max() || next_cat == std::numeric_limits<int>::max())
        no_id_left("next_ids.category", "category");
    if (max_img == std::numeric_limits<int>::max() || next_img == std::numeric_limits<int>::max())
        no_id_left("next_ids.image", "image");
    if (max_inst == std::numeric_limits<int64_t>::max() || next_inst == std::numeric_limits<int64_t>::max())
        no_id_left("next_ids.instance", "instance");
    p.next_category_id = std::max(max_cat + 1, next_cat);
    p.next_image_id = std::max(max_img + 1, next_img);
    p.next_instance_id = std::max(max_inst + 1, next_inst);
    return p;
}

Project load_project(const std::string& path, DiskVersion* version) {
    sweep_stale_temp_files(path);
    const std::string text = read_whole_file(path, "project file", version);
    if (text.empty()) throw Error(path + ": project file is empty");
    return project_from_json(text, path);
}

void save_project(const Project& project, const std::string& path) {
    atomic_write_file(path, project_to_json(project));
}

DiskVersion save_project(const Project& project, const std::string& path, const DiskVersion& expected) {
    return atomic_replace_file(path, project_to_json(project), expected);
}

// ---------------------------------------------------------------------------------------------
// Autosaver

Autosaver::Autosaver(std::string path, DiskVersion expected, ErrorCallback on_error)
    : path_(std::move(path)), on_error_(std::move(on_error)), expected_(std::move(expected)) {
    thread_ = std::thread([this] { run(); });
}

namespace {

// For the constructor without a version: a file that cannot be read now is reported by the first save.
DiskVersion version_now_or_none(const std::string& path) {
    try {
        return disk_version(path);
    } catch (const Error&) {
        return DiskVersion{};
    }
}

}  // namespace

Autosaver::Autosaver(std::string path, ErrorCallback on_error)
    : Autosaver(path, version_now_or_none(path), std::move(on_error)) {}

Autosaver::~Autosaver() {
    flush();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Autosaver::submit(const Project& snapshot) {
    Project copy = snapshot;  // copied outside the lock: the writer thread is never held up by it
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_ = std::move(copy);  // latest wins: an older pending snapshot is dropped
    }
    cv_.notify_all();
}

void Autosaver::flush() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return !pending_ && !busy_; });
}

int64_t Autosaver::saves_completed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return saves_;
}

DiskVersion Autosaver::expected_version() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return expected_;
}

std::optional<Autosaver::Conflict> Autosaver::conflict() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return conflict_;
}

void Autosaver::adopt_disk_version() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return !busy_; });
    expected_ = disk_version(path_);
    conflict_.reset();
}

// One snapshot: into the project file while nobody else wrote it, into the side copy after that.
void Autosaver::save(const Project& snapshot, std::string& error) {
    DiskVersion expected;
    std::optional<Conflict> conflict;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        expected = expected_;
        conflict = conflict_;
    }
    try {
        const std::string text = project_to_json(snapshot);
        if (conflict) {
            atomic_write_file(conflict->kept_copy, text);
            return;
        }
        const DiskVersion written = atomic_replace_file(path_, text, expected);
        std::lock_guard<std::mutex> lock(mutex_);
        expected_ = written;
        ++saves_;
    } catch (const SaveConflict& e) {
        error = std::string(e.what()) + ". Autosave now keeps your work in that copy until you choose a version.";
        std::lock_guard<std::mutex> lock(mutex_);
        conflict_ = Conflict{e.kept_copy, error};
    } catch (const std::exception& e) {
        error = e.what();
    }
}

void Autosaver::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        cv_.wait(lock, [this] { return stop_ || pending_.has_value(); });
        if (!pending_) {
            if (stop_) return;
            continue;
        }
        Project snapshot = std::move(*pending_);
        pending_.reset();
        busy_ = true;
        lock.unlock();
        std::string error;
        save(snapshot, error);
        if (!error.empty() && on_error_) on_error_(error);
        lock.lock();
        busy_ = false;
        cv_.notify_all();
    }
}

}  // namespace xs
