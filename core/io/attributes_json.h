#pragma once
// Attributes (core/annotation/attributes.h) as JSON, shared by the project file and the COCO
// `attributes` object. Readers check the value against the declaration and throw xs::Error naming
// the file and the field.
//
//   j["attributes"] = xs::attribute_specs_to_json(category.attributes);
//   category.attributes = xs::attribute_specs_from_json(j["attributes"], "p.json", "categories[0].attributes");
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/annotation/attributes.h"

namespace xs {

// A boolean, a number or a string, as JSON's own types.
nlohmann::ordered_json attribute_value_to_json(const AttributeValue& value);
AttributeValue attribute_value_from_json(const nlohmann::json& j, const AttributeSpec& spec, const std::string& src,
                                         const std::string& path);

// [{"name": .., "kind": "boolean|choice|number|text", "choices": [..] (choice only), "default": ..}]
nlohmann::ordered_json attribute_specs_to_json(const std::vector<AttributeSpec>& specs);
std::vector<AttributeSpec> attribute_specs_from_json(const nlohmann::json& j, const std::string& src,
                                                     const std::string& path);

}  // namespace xs
