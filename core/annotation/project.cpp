#include "core/annotation/project.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "core/util/error.h"

namespace xs {

namespace {

// A fixed palette of distinct colours; category id N gets entry (N-1) mod size, so colours are stable.
const Rgb kPalette[] = {
    {230, 25, 75},  {60, 180, 75},   {255, 225, 25}, {0, 130, 200},   {245, 130, 48},
    {145, 30, 180}, {70, 240, 240},  {240, 50, 230}, {210, 245, 60},  {250, 190, 212},
    {0, 128, 128},  {220, 190, 255}, {170, 110, 40}, {255, 250, 200}, {128, 0, 0},
    {170, 255, 195}, {128, 128, 0},  {255, 215, 180}, {0, 0, 128},    {128, 128, 128},
};

}  // namespace

Rgb category_palette_color(int id) {
    const int n = int(sizeof(kPalette) / sizeof(kPalette[0]));
    return kPalette[((id - 1) % n + n) % n];
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Category& Project::add_category(const std::string& name) {
    categories.push_back(reserve_category(name));
    return categories.back();
}

Category& Project::add_category(const std::string& name, Rgb color) {
    Category c = reserve_category(name);
    c.color = color;
    categories.push_back(c);
    return categories.back();
}

Category Project::reserve_category(const std::string& name) {
    if (name.empty()) throw Error("a category needs a non-empty name");
    if (find_category(name)) throw Error("category '" + name + "' exists already");
    int id = next_category_id;
    for (const Category& c : categories) id = std::max(id, c.id + 1);
    Category c;
    c.id = id;
    c.name = name;
    c.color = category_palette_color(id);
    next_category_id = id + 1;
    return c;
}

Category* Project::find_category(int id) {
    for (Category& c : categories) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

const Category* Project::find_category(int id) const {
    for (const Category& c : categories) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

Category* Project::find_category(const std::string& name) {
    for (Category& c : categories) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

int Project::remove_category(int id) {
    int removed = 0;
    for (ImageRecord& img : images) {
        const size_t before = img.instances.size();
        img.instances.erase(std::remove_if(img.instances.begin(), img.instances.end(),
                                           [id](const Instance& i) { return i.category_id == id; }),
                            img.instances.end());
        removed += int(before - img.instances.size());
    }
    categories.erase(std::remove_if(categories.begin(), categories.end(),
                                    [id](const Category& c) { return c.id == id; }),
                     categories.end());
    return removed;
}

ImageRecord& Project::add_image(const std::string& file_name, int width, int height) {
    if (file_name.empty()) throw Error("an image needs a file name");
    if (width <= 0 || height <= 0) {
        throw Error("image '" + file_name + "' has an invalid size " + std::to_string(width) + "x" +
                    std::to_string(height));
    }
    if (find_image(file_name)) throw Error("image '" + file_name + "' is in the project already");
    int id = next_image_id;
    for (const ImageRecord& i : images) id = std::max(id, i.id + 1);
    ImageRecord rec;
    rec.id = id;
    rec.file_name = file_name;
    rec.width = width;
    rec.height = height;
    images.push_back(std::move(rec));
    next_image_id = id + 1;
    return images.back();
}

ImageRecord* Project::find_image(int id) {
    for (ImageRecord& i : images) {
        if (i.id == id) return &i;
    }
    return nullptr;
}

const ImageRecord* Project::find_image(int id) const {
    for (const ImageRecord& i : images) {
        if (i.id == id) return &i;
    }
    return nullptr;
}

ImageRecord* Project::find_image(const ImageKey& file_name) {
    for (ImageRecord& i : images) {
        if (i.file_name == file_name) return &i;
    }
    return nullptr;
}

const ImageRecord* Project::find_image(const ImageKey& file_name) const {
    for (const ImageRecord& i : images) {
        if (i.file_name == file_name) return &i;
    }
    return nullptr;
}

Instance& Project::add_instance(ImageRecord& image, int category_id, Rle mask, float score,
                                const std::string& source) {
    if (!find_category(category_id)) {
        throw Error("instance on image '" + image.file_name + "': unknown category id " +
                    std::to_string(category_id));
    }
    if (mask.width != image.width || mask.height != image.height) {
        throw Error("instance on image '" + image.file_name + "': mask is " + std::to_string(mask.width) +
                    "x" + std::to_string(mask.height) + ", image is " + std::to_string(image.width) + "x" +
                    std::to_string(image.height));
    }
    image.instances.push_back(new_instance(category_id, std::move(mask), score, source));
    return image.instances.back();
}

Instance Project::new_instance(int category_id, Rle mask, float score, const std::string& source) {
    // The counter is part of the saved state (loaders set it to at least max id + 1), so no scan.
    const int64_t id = std::max<int64_t>(next_instance_id, 1);
    next_instance_id = id + 1;
    Instance inst;
    inst.id = id;
    inst.category_id = category_id;
    inst.mask = std::move(mask);
    inst.score = score;
    inst.source = source;
    inst.created_ms = inst.modified_ms = now_ms();
    return inst;
}

Instance* Project::find_instance(int64_t id, ImageRecord** image_out) {
    for (ImageRecord& img : images) {
        for (Instance& i : img.instances) {
            if (i.id == id) {
                if (image_out) *image_out = &img;
                return &i;
            }
        }
    }
    return nullptr;
}

int64_t Project::instance_count() const {
    int64_t n = 0;
    for (const ImageRecord& img : images) n += int64_t(img.instances.size());
    return n;
}

}  // namespace xs

namespace xs {

namespace {

// Keeps the links for which `keep(id)` holds, rewritten by `map_id`.
template <typename Keep, typename MapId>
void rewrite_links(ImageRecord& image, Keep keep, MapId map_id) {
    auto rewrite = [&](std::vector<int64_t>& ids) {
        std::vector<int64_t> out;
        for (int64_t id : ids) {
            if (keep(id)) out.push_back(map_id(id));
        }
        ids = std::move(out);
    };
    for (GroundedCaption& c : image.captions) {
        for (GroundedPhrase& ph : c.phrases) rewrite(ph.instance_ids);
    }
    for (FindAllEpisode& e : image.episodes) {
        rewrite(e.accepted);
        if (e.example_instance_id != 0) e.example_instance_id = keep(e.example_instance_id) ? map_id(e.example_instance_id) : 0;
    }
}

}  // namespace

void prune_dead_links(ImageRecord& image) {
    std::set<int64_t> live;
    for (const Instance& inst : image.instances) live.insert(inst.id);
    rewrite_links(image, [&](int64_t id) { return live.count(id) > 0; }, [](int64_t id) { return id; });
}

void remap_links(ImageRecord& image, const std::map<int64_t, int64_t>& new_id) {
    rewrite_links(image, [&](int64_t id) { return new_id.count(id) > 0; }, [&](int64_t id) { return new_id.at(id); });
}

const ImageReview& Project::review(const ImageKey& key) const {
    static const ImageReview kDefault;
    const auto it = reviews.find(key);
    return it == reviews.end() ? kDefault : it->second;
}

void Project::set_review(const ImageKey& key, const ImageReview& review) {
    if (review.is_default()) {
        reviews.erase(key);
    } else {
        reviews[key] = review;
    }
}

}  // namespace xs
