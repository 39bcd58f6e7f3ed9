#include "core/coco/coco_attributes.h"

#include "core/io/attributes_json.h"
#include "core/io/json_read.h"

namespace xs {

using ojson = nlohmann::ordered_json;
using namespace jsonr;

namespace {

AttributeKind kind_of(const json& value) {
    if (value.is_boolean()) return AttributeKind::boolean;
    if (value.is_number()) return AttributeKind::number;
    return AttributeKind::text;
}

AttributeValue empty_value(AttributeKind kind) {
    if (kind == AttributeKind::boolean) return false;
    if (kind == AttributeKind::number) return 0.0;
    return std::string();
}

}  // namespace

ojson coco_attributes_to_json(const Instance& inst, const Category& category) {
    ojson out;
    out[kAttrOccluded] = inst.occluded;
    out[kAttrTruncated] = inst.truncated;
    if (!inst.note.empty()) out[kAttrNote] = inst.note;
    for (const AttributeSpec& spec : category.attributes)
        out[spec.name] = attribute_value_to_json(*attribute_value(inst, &category, spec.name));
    return out;
}

void check_coco_attributes(const json& attributes, const std::string& src, const std::string& path) {
    get_object(attributes, src, path);
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
        const std::string p = join(path, it.key());
        if (it.key() == kAttrCrowd) fail(src, p, "iscrowd belongs to the annotation, not to its attributes");
        if (it.key() == kAttrOccluded || it.key() == kAttrTruncated) get_bool(it.value(), src, p);
        else if (it.key() == kAttrNote) get_string(it.value(), src, p);
        else if (it.key().empty()) fail(src, p, "empty attribute name");
        else if (!it.value().is_boolean() && !it.value().is_number() && !it.value().is_string())
            fail(src, p, "expected a boolean, a number or a string, got " + type_text(it.value()));
        else if (it.value().is_number()) get_number(it.value(), src, p);
    }
}

void declare_coco_attributes(Category& category, const json& attributes, const std::string& path) {
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
        if (is_fixed_attribute(it.key())) continue;
        const AttributeSpec* spec = find_attribute(category, it.key());
        if (spec) {
            // Throws, naming the field, when the value does not fit the declaration.
            attribute_value_from_json(it.value(), *spec, join(path, it.key()), "");
            continue;
        }
        const AttributeKind kind = kind_of(it.value());
        category.attributes.push_back({it.key(), kind, {}, empty_value(kind)});
    }
}

void read_coco_attributes(Instance& inst, const Category& category, const json& attributes) {
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
        const AttributeSpec* spec = find_attribute(category, it.key());
        AttributeValue value = it.value().is_boolean() ? AttributeValue(it.value().get<bool>())
                               : it.value().is_number() ? AttributeValue(it.value().get<double>())
                                                        : AttributeValue(it.value().get<std::string>());
        if (spec || is_fixed_attribute(it.key())) store_attribute(inst, &category, it.key(), value);
    }
}

}  // namespace xs
