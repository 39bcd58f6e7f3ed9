#include "core/annotation/editing.h"

#include <algorithm>

namespace xs {

namespace {

bool is_selected(const Selection& selected, int64_t id) {
    return std::find(selected.begin(), selected.end(), id) != selected.end();
}

// Index of the top-most (last in drawing order) selected instance, -1 if none.
int top_most_selected(const Instances& list, const Selection& selected) {
    for (int i = int(list.size()) - 1; i >= 0; --i)
        if (is_selected(selected, list[size_t(i)].id)) return i;
    return -1;
}

int count_selected(const Instances& list, const Selection& selected) {
    int n = 0;
    for (const Instance& inst : list) n += is_selected(selected, inst.id);
    return n;
}

void touch(Instance& inst, Rle mask, int64_t now) {
    inst.mask = std::move(mask);
    inst.score = 1.0f;
    inst.modified_ms = now;
}

bool name_taken(const std::vector<Category>& list, const std::string& name, int except_id) {
    for (const Category& c : list)
        if (c.name == name && c.id != except_id) return true;
    return false;
}

template <typename Categories>
auto find_in(Categories& list, int id) -> decltype(&list.front()) {
    for (auto& c : list)
        if (c.id == id) return &c;
    return nullptr;
}

// Calls `change` on a copy of every instance of the category that holds a value for attribute
// `name`, and puts each touched image's new list into `edit`.
template <typename Change>
void for_each_valued_instance(const Project& project, int category_id, const std::string& name, ProjectEdit& edit,
                              Change change) {
    for (const ImageRecord& rec : project.images) {
        Instances list = rec.instances;
        bool touched = false;
        for (Instance& inst : list)
            if (inst.category_id == category_id && inst.attributes.count(name)) {
                change(inst);
                touched = true;
            }
        if (touched) edit.instances[rec.file_name] = std::move(list);
    }
}

}  // namespace

std::optional<Instances> merge_instances(const Instances& list, const Selection& selected, int64_t now, int64_t* kept) {
    if (count_selected(list, selected) < 2) return std::nullopt;
    const int target = top_most_selected(list, selected);
    Mask merged = rle_decode(list[size_t(target)].mask);
    Instances out;
    for (int i = 0; i < int(list.size()); ++i) {
        const Instance& inst = list[size_t(i)];
        if (i == target || !is_selected(selected, inst.id)) out.push_back(inst);
        else merged = mask_union(merged, rle_decode(inst.mask));
    }
    for (Instance& inst : out)
        if (inst.id == list[size_t(target)].id) touch(inst, rle_encode(merged), now);
    if (kept) *kept = list[size_t(target)].id;
    return out;
}

std::optional<Instances> subtract_instances(const Instances& list, const Selection& selected, int64_t now) {
    if (count_selected(list, selected) < 2) return std::nullopt;
    const int cutter = top_most_selected(list, selected);
    const Mask cut = rle_decode(list[size_t(cutter)].mask);
    Instances out;
    bool changed = false;
    for (int i = 0; i < int(list.size()); ++i) {
        Instance inst = list[size_t(i)];
        if (i != cutter && is_selected(selected, inst.id)) {
            const Mask m = mask_subtract(rle_decode(inst.mask), cut);
            Rle rle = rle_encode(m);
            if (rle == inst.mask) {
                out.push_back(std::move(inst));
                continue;
            }
            changed = true;
            if (!m.any()) continue;  // nothing left of it
            touch(inst, std::move(rle), now);
        }
        out.push_back(std::move(inst));
    }
    if (!changed) return std::nullopt;
    return out;
}

std::optional<Instances> delete_instances(const Instances& list, const Selection& selected) {
    Instances out;
    for (const Instance& inst : list)
        if (!is_selected(selected, inst.id)) out.push_back(inst);
    if (out.size() == list.size()) return std::nullopt;
    return out;
}

std::optional<Instances> reorder_instances(const Instances& list, const Selection& selected, int step) {
    Instances out = list;
    auto sel = [&](size_t i) { return is_selected(selected, out[i].id); };
    bool moved = false;
    if (step > 0) {
        for (int i = int(out.size()) - 2; i >= 0; --i)
            if (sel(size_t(i)) && !sel(size_t(i) + 1)) {
                std::swap(out[size_t(i)], out[size_t(i) + 1]);
                moved = true;
            }
    } else if (step < 0) {
        for (size_t i = 1; i < out.size(); ++i)
            if (sel(i) && !sel(i - 1)) {
                std::swap(out[i], out[i - 1]);
                moved = true;
            }
    }
    if (!moved) return std::nullopt;
    return out;
}

std::optional<Instances> apply_category(const Instances& list, const Selection& selected, const Category& category,
                                        int64_t now) {
    Instances out = list;
    bool changed = false;
    for (Instance& inst : out)
        if (is_selected(selected, inst.id) && inst.category_id != category.id) {
            inst.category_id = category.id;
            keep_declared_attributes(inst, category);
            inst.modified_ms = now;
            changed = true;
        }
    if (!changed) return std::nullopt;
    return out;
}

std::optional<Instances> set_visible(const Instances& list, int64_t id, bool visible) {
    Instances out = list;
    for (Instance& inst : out)
        if (inst.id == id && inst.visible != visible) {
            inst.visible = visible;
            return out;
        }
    return std::nullopt;
}

std::optional<Instances> paint_instance(const Instances& list, int64_t id, const Mask& stroke, bool erase, int64_t now) {
    Instances out = list;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i].id != id) continue;
        const Mask before = rle_decode(out[i].mask);
        const Mask after = erase ? mask_subtract(before, stroke) : mask_union(before, stroke);
        if (after == before) return std::nullopt;
        if (!after.any()) {
            out.erase(out.begin() + std::ptrdiff_t(i));
            return out;
        }
        touch(out[i], rle_encode(after), now);
        return out;
    }
    return std::nullopt;
}

std::optional<Instances> set_instance_mask(const Instances& list, int64_t id, const Mask& mask, int64_t now) {
    Instances out = list;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i].id != id) continue;
        Rle rle = rle_encode(mask);
        if (rle == out[i].mask) return std::nullopt;
        if (!mask.any()) out.erase(out.begin() + std::ptrdiff_t(i));
        else touch(out[i], std::move(rle), now);
        return out;
    }
    return std::nullopt;
}

std::optional<Instances> set_attribute(const Instances& list, const Selection& selected,
                                       const std::vector<Category>& categories, const std::string& name,
                                       const AttributeValue& value, int64_t now) {
    Instances out = list;
    bool changed = false;
    for (Instance& inst : out) {
        if (!is_selected(selected, inst.id)) continue;
        const Category* category = find_in(categories, inst.category_id);
        const Instance before = inst;
        if (!store_attribute(inst, category, name, value)) continue;
        if (attribute_value(before, category, name) == attribute_value(inst, category, name)) continue;
        inst.modified_ms = now;
        changed = true;
    }
    if (!changed) return std::nullopt;
    return out;
}

bool toggled_flag(const Instances& list, const Selection& selected, const std::string& name) {
    for (const Instance& inst : list) {
        if (!is_selected(selected, inst.id)) continue;
        const std::optional<AttributeValue> v = attribute_value(inst, nullptr, name);
        if (!v || !std::holds_alternative<bool>(*v) || !std::get<bool>(*v)) return true;
    }
    return false;
}

std::optional<ProjectEdit> declare_attribute(const Project& project, int category_id, const AttributeSpec& spec) {
    const Category* category = project.find_category(category_id);
    if (!category || !attribute_spec_problem(spec).empty() || find_attribute(*category, spec.name)) return std::nullopt;
    ProjectEdit edit;
    edit.categories = project.categories;
    find_in(*edit.categories, category_id)->attributes.push_back(spec);
    return edit;
}

std::optional<ProjectEdit> rename_attribute(const Project& project, int category_id, const std::string& name,
                                            const std::string& new_name) {
    const Category* category = project.find_category(category_id);
    const AttributeSpec* spec = category ? find_attribute(*category, name) : nullptr;
    if (!spec) return std::nullopt;
    AttributeSpec renamed = *spec;
    renamed.name = new_name;
    return change_attribute(project, category_id, name, renamed);
}

std::optional<ProjectEdit> remove_attribute(const Project& project, int category_id, const std::string& name) {
    const Category* category = project.find_category(category_id);
    if (!category || !find_attribute(*category, name)) return std::nullopt;
    ProjectEdit edit;
    edit.categories = project.categories;
    std::vector<AttributeSpec>& specs = find_in(*edit.categories, category_id)->attributes;
    specs.erase(std::remove_if(specs.begin(), specs.end(), [&](const AttributeSpec& s) { return s.name == name; }),
                specs.end());
    for_each_valued_instance(project, category_id, name, edit, [&](Instance& inst) { inst.attributes.erase(name); });
    return edit;
}

std::optional<ProjectEdit> change_attribute(const Project& project, int category_id, const std::string& name,
                                            const AttributeSpec& spec, int* reset) {
    if (reset) *reset = 0;
    const Category* category = project.find_category(category_id);
    const AttributeSpec* before = category ? find_attribute(*category, name) : nullptr;
    if (!before || !attribute_spec_problem(spec).empty()) return std::nullopt;
    if (spec.name != name && find_attribute(*category, spec.name)) return std::nullopt;
    if (spec == *before) return std::nullopt;
    ProjectEdit edit;
    edit.categories = project.categories;
    Category* changed = find_in(*edit.categories, category_id);
    for (AttributeSpec& s : changed->attributes)
        if (s.name == name) s = spec;
    for (const ImageRecord& rec : project.images) {
        Instances list = rec.instances;
        bool touched = false;
        for (Instance& inst : list) {
            if (inst.category_id != category_id) continue;
            const AttributeValue value = *attribute_value(inst, category, name);
            const Instance old = inst;
            inst.attributes.erase(name);
            if (!store_attribute(inst, changed, spec.name, value) && reset) ++*reset;
            touched = touched || inst.attributes != old.attributes;
        }
        if (touched) edit.instances[rec.file_name] = std::move(list);
    }
    return edit;
}

std::optional<std::vector<Category>> rename_category(const std::vector<Category>& list, int id, const std::string& name) {
    if (name.empty() || name_taken(list, name, id)) return std::nullopt;
    std::vector<Category> out = list;
    for (Category& c : out)
        if (c.id == id && c.name != name) {
            c.name = name;
            return out;
        }
    return std::nullopt;
}

std::optional<std::vector<Category>> recolor_category(const std::vector<Category>& list, int id, Rgb color) {
    std::vector<Category> out = list;
    for (Category& c : out)
        if (c.id == id && !(c.color == color)) {
            c.color = color;
            return out;
        }
    return std::nullopt;
}

namespace {

// The edit that gives each image of `keys` what `change` makes of its review; nullopt when none changes.
template <typename Change>
std::optional<ProjectEdit> edit_reviews(const Project& project, const std::vector<ImageKey>& keys, Change change) {
    ProjectEdit edit;
    for (const ImageKey& key : keys) {
        ImageReview after = project.review(key);
        change(after);
        if (!(after == project.review(key))) edit.reviews[key] = after;
    }
    if (edit.empty()) return std::nullopt;
    return edit;
}

}  // namespace

std::optional<ProjectEdit> set_review_status(const Project& project, const std::vector<ImageKey>& keys,
                                             ReviewStatus status) {
    return edit_reviews(project, keys, [&](ImageReview& r) { r.status = status; });
}

std::optional<ProjectEdit> add_tag(const Project& project, const std::vector<ImageKey>& keys, const std::string& tag) {
    const std::string t = normalized_tag(tag);
    if (t.empty()) return std::nullopt;
    return edit_reviews(project, keys, [&](ImageReview& r) {
        const auto at = std::lower_bound(r.tags.begin(), r.tags.end(), t);
        if (at == r.tags.end() || *at != t) r.tags.insert(at, t);
    });
}

std::optional<ProjectEdit> remove_tag(const Project& project, const std::vector<ImageKey>& keys, const std::string& tag) {
    const std::string t = normalized_tag(tag);
    if (t.empty()) return std::nullopt;
    return edit_reviews(project, keys, [&](ImageReview& r) { r.tags.erase(std::remove(r.tags.begin(), r.tags.end(), t), r.tags.end()); });
}

std::optional<ProjectEdit> delete_category(const Project& project, int id) {
    if (!project.find_category(id)) return std::nullopt;
    ProjectEdit edit;
    edit.categories = project.categories;
    edit.categories->erase(std::remove_if(edit.categories->begin(), edit.categories->end(),
                                          [id](const Category& c) { return c.id == id; }),
                           edit.categories->end());
    for (const ImageRecord& rec : project.images) {
        Instances keep;
        for (const Instance& inst : rec.instances)
            if (inst.category_id != id) keep.push_back(inst);
        if (keep.size() != rec.instances.size()) edit.instances[rec.file_name] = std::move(keep);
    }
    return edit;
}

std::optional<ProjectEdit> add_category(Project& project, const std::string& name) {
    if (name.empty() || project.find_category(name)) return std::nullopt;
    ProjectEdit edit;
    edit.categories = project.categories;
    edit.categories->push_back(project.reserve_category(name));
    return edit;
}

int category_for_new_instances(Project& project, int current, ProjectEdit* edit) {
    if (current && project.find_category(current)) return current;
    if (!project.categories.empty()) return project.categories.front().id;
    // The first instance of a fresh project: its category comes with the edit (and goes with its undo).
    if (!edit->categories) edit->categories = project.categories;
    for (const Category& c : *edit->categories)
        if (c.name == "object") return c.id;
    edit->categories->push_back(project.reserve_category("object"));
    return edit->categories->back().id;
}

}  // namespace xs
