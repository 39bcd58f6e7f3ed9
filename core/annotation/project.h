#pragma once
// The project model: categories, images and their instances. Plain data, no Qt.
//
//   xs::Project p;
//   p.image_root = "/data/birds";
//   int cat = p.add_category("bird").id;          // ids are stable integers from 1
//   xs::ImageRecord& img = p.add_image("a/0001.jpg", 640, 480);
//   xs::Instance& inst = p.add_instance(img, cat, xs::rle_encode(mask));
//
// The project file (core/io/project_file.h) is the single source of truth; this model is what it holds.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/annotation/attributes.h"
#include "core/annotation/grounding.h"
#include "core/annotation/review.h"
#include "core/mask/mask.h"

namespace xs {

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};

struct Category {
    int id = 0;  // >= 1, never reused within a project
    std::string name;
    Rgb color;
    // Custom attributes its instances carry (core/annotation/attributes.h), names unique.
    std::vector<AttributeSpec> attributes;
};

struct Instance {
    int64_t id = 0;       // >= 1, unique within the project
    int category_id = 0;  // an existing Category::id
    Rle mask;             // at the image's displayed size
    float score = 1.0f;   // engine confidence; 1 for hand-drawn or edited
    std::string source;   // which engine/prompt made it, e.g. "classic:points(2+,1-)", "manual:brush", "import:coco"
    int64_t created_ms = 0;   // Unix epoch milliseconds
    int64_t modified_ms = 0;
    bool visible = true;  // display state, saved so a reopened project looks the same
    // Grounding data (core/annotation/grounding.h): the prompt that made it, and every referring
    // sentence that names it (several per instance).
    InstancePrompt prompt;
    std::vector<std::string> referring;
    // Attributes (core/annotation/attributes.h): the fixed ones, and the values of custom ones the
    // category declares, by name, stored only when they differ from the declared default.
    bool iscrowd = false;
    bool occluded = false;
    bool truncated = false;
    std::string note;
    std::map<std::string, AttributeValue> attributes;
};

// An image's identity everywhere (folder scan, decode cache, engine cache, undo): its path relative to
// the project's image root, '/'-separated, as the file system's bytes (not necessarily UTF-8).
using ImageKey = std::string;

struct ImageRecord {
    int id = 0;             // >= 1, unique within the project
    ImageKey file_name;     // relative to Project::image_root, '/' separators
    int width = 0;          // as displayed (after EXIF orientation)
    int height = 0;
    std::vector<Instance> instances;  // in drawing order (later ones on top)
    // What the image file was when it was first seen (core/io/file_stamp.h), to notice a file that
    // changed on disk since it was annotated. -1 / empty when not recorded (older project files).
    int64_t file_size = -1;
    std::string file_hash;
    // Grounding data whose links are ids of this image's instances (core/annotation/grounding.h).
    std::vector<GroundedCaption> captions;
    std::vector<FindAllEpisode> episodes;
};

// Drops links (caption phrases, episode examples and accepted lists) to instances no longer on the
// image; a phrase left with no instance stays (its text span is still a phrase of the caption).
void prune_dead_links(ImageRecord& image);
// Rewrites every instance link of the image's captions and episodes through `new_id` (old -> new);
// links missing from the map are dropped.
void remap_links(ImageRecord& image, const std::map<int64_t, int64_t>& new_id);

class Project {
public:
    std::string image_root;  // absolute, or relative to the project file's folder
    std::vector<Category> categories;
    std::vector<ImageRecord> images;

    // Categories: a new id is max(existing ids, ever used) + 1; colours come from a fixed palette.
    Category& add_category(const std::string& name);
    Category& add_category(const std::string& name, Rgb color);
    Category* find_category(int id);
    const Category* find_category(int id) const;
    Category* find_category(const std::string& name);
    // A new category named `name` with the next id and that id's palette colour, not yet in the list:
    // the id is taken now (never reused, even when the category is not kept). Throws xs::Error for an
    // empty or existing name.
    Category reserve_category(const std::string& name);
    // Removes the category and every instance that uses it; returns how many instances went.
    int remove_category(int id);

    ImageRecord& add_image(const std::string& file_name, int width, int height);
    ImageRecord* find_image(int id);
    const ImageRecord* find_image(int id) const;
    ImageRecord* find_image(const ImageKey& file_name);
    const ImageRecord* find_image(const ImageKey& file_name) const;

    // Adds an instance with a fresh id and timestamps; throws xs::Error if the category is unknown
    // or the mask size differs from the image size.
    Instance& add_instance(ImageRecord& image, int category_id, Rle mask, float score = 1.0f,
                           const std::string& source = "manual");
    Instance* find_instance(int64_t id, ImageRecord** image_out = nullptr);
    // A new instance with the next id (taken now) and timestamps, not yet on any image.
    Instance new_instance(int category_id, Rle mask, float score, const std::string& source);

    int64_t instance_count() const;

    // Review status and tags by image key (core/annotation/review.h), only those not at the default;
    // an image needs no record to have one (the scan lists more images than were ever opened).
    std::map<ImageKey, ImageReview> reviews;
    const ImageReview& review(const ImageKey& key) const;  // the default for images not in `reviews`
    void set_review(const ImageKey& key, const ImageReview& review);  // a default one is removed

    // Id counters are part of the saved state so ids are never reused after deletions.
    int next_category_id = 1;
    int next_image_id = 1;
    int64_t next_instance_id = 1;
};

int64_t now_ms();

// The fixed palette colour for a category id (what add_category(name) uses).
Rgb category_palette_color(int id);

}  // namespace xs
