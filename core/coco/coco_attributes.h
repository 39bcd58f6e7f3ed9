#pragma once
// Instance attributes in COCO files, as CVAT writes them: each annotation carries
//   "iscrowd": 0 | 1,
//   "attributes": {"occluded": false, "truncated": false, "note": "...", "<custom name>": value, ...}
// with a custom attribute's value as JSON's boolean, number or string. Our export also lists each
// category's declarations under "categories[].attributes" (other readers ignore it) so choices and
// defaults come back; a file without them (CVAT's) gets declarations inferred from the values' types.
#include <string>

#include <nlohmann/json.hpp>

#include "core/annotation/project.h"

namespace xs {

// The annotation's "attributes" object: occluded and truncated always, the note when there is one,
// and every custom attribute the category declares (its default when the instance has none).
nlohmann::ordered_json coco_attributes_to_json(const Instance& inst, const Category& category);

// Checks an annotation's "attributes" object on its own: an object whose occluded/truncated are
// booleans, note a string and the others booleans, numbers or strings. Throws xs::Error naming `path`.
void check_coco_attributes(const nlohmann::json& attributes, const std::string& src, const std::string& path);

// Declares on `category` the custom attributes of `attributes` it lacks, each of the kind of its value
// (boolean, number or text) with the kind's empty default. Throws xs::Error naming `path` for a value
// whose type differs from the category's declaration (a choice value that is not one of its choices).
void declare_coco_attributes(Category& category, const nlohmann::json& attributes, const std::string& path);
// Sets the instance's attributes from a checked "attributes" object the category declares.
void read_coco_attributes(Instance& inst, const Category& category, const nlohmann::json& attributes);

}  // namespace xs
