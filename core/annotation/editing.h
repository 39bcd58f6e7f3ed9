#pragma once
// Editing operations on the project data, as pure functions: each takes the state before and returns
// the state after (std::nullopt when the operation would change nothing). The GUI turns every result
// into one undoable step; tests check them as tables.
//
//   std::optional<std::vector<xs::Instance>> after = xs::merge_instances(rec.instances, {4, 7}, xs::now_ms());
//   if (after) document.edit_instances(rec.file_name, *after, "Merge");
//
// Selections are instance ids; drawing order is list order (later instances are drawn on top). An
// edited instance gets score 1 (hand-made) and modified_ms = now.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/annotation/project.h"

namespace xs {

using Instances = std::vector<Instance>;
using Selection = std::vector<int64_t>;

// What one undoable step changes, as the state after it: the category list when it changes, and the
// whole new instance list of every image it touches, by image key.
// The image-level grounding records (captions, episodes) of the images whose records it touches.
struct ImageGrounding {
    std::vector<GroundedCaption> captions;
    std::vector<FindAllEpisode> episodes;
    bool operator==(const ImageGrounding& o) const { return captions == o.captions && episodes == o.episodes; }
};

struct ProjectEdit {
    std::optional<std::vector<Category>> categories;
    std::map<ImageKey, Instances> instances;
    std::map<ImageKey, ImageGrounding> grounding;
    std::map<ImageKey, ImageReview> reviews;  // review status and tags (core/annotation/review.h)
    bool empty() const { return !categories && instances.empty() && grounding.empty() && reviews.empty(); }
};

// The selected instances become one: the top-most selected keeps its id and gets the union of their
// masks; the others go. Needs two or more selected. *kept receives the id that stays.
std::optional<Instances> merge_instances(const Instances& list, const Selection& selected, int64_t now,
                                         int64_t* kept = nullptr);
// The top-most selected instance is cut out of the other selected ones (it stays as it is); one left
// with no pixel is removed. Needs two or more selected.
std::optional<Instances> subtract_instances(const Instances& list, const Selection& selected, int64_t now);
std::optional<Instances> delete_instances(const Instances& list, const Selection& selected);
// Moves each selected instance one place up (step > 0: drawn later, on top) or down, past unselected
// neighbours only, so a selected block keeps its inner order.
std::optional<Instances> reorder_instances(const Instances& list, const Selection& selected, int step);
// The selected instances get `category`; custom attribute values it does not declare are dropped.
std::optional<Instances> apply_category(const Instances& list, const Selection& selected, const Category& category,
                                        int64_t now);
std::optional<Instances> set_visible(const Instances& list, int64_t id, bool visible);
// Paints `stroke` (a mask of the image's size) onto instance `id`, or erases it from it. An instance
// erased to nothing is removed.
std::optional<Instances> paint_instance(const Instances& list, int64_t id, const Mask& stroke, bool erase, int64_t now);
// Instance `id` gets `mask` (of the image's size), e.g. its edited polygons rasterised back. An
// instance given an empty mask is removed.
std::optional<Instances> set_instance_mask(const Instances& list, int64_t id, const Mask& mask, int64_t now);

// Attributes (core/annotation/attributes.h). Sets attribute `name` to `value` on every selected
// instance that has it: a fixed one on all, a custom one on those whose category declares it (and
// that `value` fits). Nullopt when no instance changes.
std::optional<Instances> set_attribute(const Instances& list, const Selection& selected,
                                       const std::vector<Category>& categories, const std::string& name,
                                       const AttributeValue& value, int64_t now);
// What a key press on a boolean fixed attribute sets: true unless every selected instance has it.
bool toggled_flag(const Instances& list, const Selection& selected, const std::string& name);
// Declares a custom attribute on a category (nullopt when the spec has a problem or the name is taken
// there). Instances need no change: they have the default until set.
std::optional<ProjectEdit> declare_attribute(const Project& project, int category_id, const AttributeSpec& spec);
// Renames a category's attribute and the values its instances hold under the old name, on every image.
std::optional<ProjectEdit> rename_attribute(const Project& project, int category_id, const std::string& name,
                                            const std::string& new_name);
// Removes a category's attribute and the values its instances hold, on every image.
std::optional<ProjectEdit> remove_attribute(const Project& project, int category_id, const std::string& name);
// Replaces a category's declaration of attribute `name` with `spec` (name, kind, choices, default: any
// of them may change). Every instance of the category, on every image, keeps the value it has (its
// default included, stored now when the default changes) where that value fits `spec`, and gets
// spec's default where it does not; *reset (when given) counts those. Nullopt when the spec has a
// problem, its name is another attribute's, or nothing changes.
std::optional<ProjectEdit> change_attribute(const Project& project, int category_id, const std::string& name,
                                            const AttributeSpec& spec, int* reset = nullptr);

// Review status and tags of the images `keys` (core/annotation/review.h; images need no record).
// Nullopt when no image changes; a tag is normalized_tag(tag) and an empty one changes nothing.
std::optional<ProjectEdit> set_review_status(const Project& project, const std::vector<ImageKey>& keys,
                                             ReviewStatus status);
std::optional<ProjectEdit> add_tag(const Project& project, const std::vector<ImageKey>& keys, const std::string& tag);
std::optional<ProjectEdit> remove_tag(const Project& project, const std::vector<ImageKey>& keys, const std::string& tag);

// Categories. Names must be non-empty and unique (nullopt otherwise, or when nothing changes).
std::optional<std::vector<Category>> rename_category(const std::vector<Category>& list, int id, const std::string& name);
std::optional<std::vector<Category>> recolor_category(const std::vector<Category>& list, int id, Rgb color);
// Removes the category and, on every image, the instances that use it.
std::optional<ProjectEdit> delete_category(const Project& project, int id);
// Adds a new category named `name` (its id reserved now: ids are never reused, even when the edit is
// undone). Nullopt when the name is empty or taken.
std::optional<ProjectEdit> add_category(Project& project, const std::string& name);

// The category new instances get: `current` when it exists, else the first one; on a project without
// any, a category "object" is reserved and added to *edit (so it comes and goes with the edit).
int category_for_new_instances(Project& project, int current, ProjectEdit* edit);

}  // namespace xs
