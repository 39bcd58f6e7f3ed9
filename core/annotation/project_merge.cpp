#include "core/annotation/project_merge.h"

#include <algorithm>
#include <map>

namespace xs {

namespace {

// Category id in `other` -> id in `base`, adding the categories base lacks and the attribute
// declarations a matched category lacks (base's declaration wins for a name both have).
std::map<int, int> merge_categories(Project& base, const Project& other, ProjectMergeSummary& s) {
    std::map<int, int> ids;
    for (const Category& c : other.categories) {
        Category* mine = base.find_category(c.name);
        if (!mine) {
            mine = &base.add_category(c.name, c.color);
            ++s.categories_added;
        }
        ids[c.id] = mine->id;
        add_missing_declarations(*mine, c);
    }
    return ids;
}

// Returns the instance ids of `from` as they are in `into`.
std::map<int64_t, int64_t> merge_instances(Project& base, ImageRecord& into, const ImageRecord& from,
                                           const std::map<int, int>& category_ids, ProjectMergeSummary& s) {
    std::map<int64_t, int64_t> ids;
    for (const Instance& inst : from.instances) {
        const auto cat = category_ids.find(inst.category_id);
        if (cat == category_ids.end()) continue;  // an instance of no category is not kept by any project
        Instance copy = inst;
        copy.category_id = cat->second;
        keep_declared_attributes(copy, *base.find_category(cat->second));
        Instance* same = nullptr;
        for (Instance& mine : into.instances) {
            if (mine.id == inst.id && mine.created_ms == inst.created_ms) same = &mine;
        }
        if (same) {
            if (inst.modified_ms > same->modified_ms) {
                *same = copy;
                ++s.instances_updated;
            }
            ids[inst.id] = inst.id;
            continue;
        }
        copy.id = std::max<int64_t>(base.next_instance_id, 1);
        base.next_instance_id = copy.id + 1;
        ids[inst.id] = copy.id;
        into.instances.push_back(std::move(copy));
        ++s.instances_added;
    }
    return ids;
}

// Captions and episodes of the copy that `into` lacks, their links following the merged instances.
void merge_grounding(ImageRecord& into, const ImageRecord& from, const std::map<int64_t, int64_t>& ids) {
    ImageRecord linked;
    linked.captions = from.captions;
    linked.episodes = from.episodes;
    remap_links(linked, ids);
    for (const GroundedCaption& c : linked.captions) {
        if (std::find(into.captions.begin(), into.captions.end(), c) == into.captions.end()) into.captions.push_back(c);
    }
    for (const FindAllEpisode& e : linked.episodes) {
        if (std::find(into.episodes.begin(), into.episodes.end(), e) == into.episodes.end()) into.episodes.push_back(e);
    }
}

}  // namespace

ProjectMergeSummary merge_project_into(Project& base, const Project& other) {
    ProjectMergeSummary s;
    const std::map<int, int> category_ids = merge_categories(base, other, s);
    for (const ImageRecord& img : other.images) {
        ImageRecord* into = base.find_image(img.file_name);
        if (!into) {
            into = &base.add_image(img.file_name, img.width, img.height);
            into->file_size = img.file_size;
            into->file_hash = img.file_hash;
            ++s.images_added;
        } else if (into->width != img.width || into->height != img.height) {
            s.warnings.push_back("image \"" + img.file_name + "\" is " + std::to_string(img.width) + "x" +
                                 std::to_string(img.height) + " in the copy but " + std::to_string(into->width) + "x" +
                                 std::to_string(into->height) + " in the project; its annotations in the copy were "
                                 "left out");
            continue;
        }
        merge_grounding(*into, img, merge_instances(base, *into, img, category_ids, s));
    }
    return s;
}

}  // namespace xs
