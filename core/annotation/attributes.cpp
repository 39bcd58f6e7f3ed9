#include "core/annotation/attributes.h"

#include <cmath>
#include <set>
#include <sstream>

#include "core/annotation/project.h"

namespace xs {

namespace {

bool* fixed_flag(Instance& inst, const std::string& name) {
    if (name == kAttrCrowd) return &inst.iscrowd;
    if (name == kAttrOccluded) return &inst.occluded;
    if (name == kAttrTruncated) return &inst.truncated;
    return nullptr;
}

}  // namespace

bool operator==(const AttributeSpec& a, const AttributeSpec& b) {
    return a.name == b.name && a.kind == b.kind && a.choices == b.choices && a.default_value == b.default_value;
}

bool is_fixed_attribute(const std::string& name) {
    return name == kAttrCrowd || name == kAttrOccluded || name == kAttrTruncated || name == kAttrNote;
}

const char* attribute_kind_name(AttributeKind kind) {
    switch (kind) {
        case AttributeKind::boolean: return "boolean";
        case AttributeKind::choice: return "choice";
        case AttributeKind::number: return "number";
        case AttributeKind::text: return "text";
    }
    return "boolean";
}

std::optional<AttributeKind> attribute_kind_from_name(const std::string& name) {
    for (AttributeKind k : {AttributeKind::boolean, AttributeKind::choice, AttributeKind::number, AttributeKind::text})
        if (name == attribute_kind_name(k)) return k;
    return std::nullopt;
}

bool attribute_value_fits(const AttributeSpec& spec, const AttributeValue& value) {
    switch (spec.kind) {
        case AttributeKind::boolean: return std::holds_alternative<bool>(value);
        case AttributeKind::number:
            return std::holds_alternative<double>(value) && std::isfinite(std::get<double>(value));
        case AttributeKind::text: return std::holds_alternative<std::string>(value);
        case AttributeKind::choice:
            if (!std::holds_alternative<std::string>(value)) return false;
            for (const std::string& c : spec.choices)
                if (c == std::get<std::string>(value)) return true;
            return false;
    }
    return false;
}

std::string attribute_spec_problem(const AttributeSpec& spec) {
    if (spec.name.empty()) return "empty attribute name";
    if (is_fixed_attribute(spec.name)) return "\"" + spec.name + "\" is a fixed attribute of every instance";
    if (spec.kind == AttributeKind::choice) {
        if (spec.choices.empty()) return "a choice attribute needs at least one choice";
        std::set<std::string> seen;
        for (const std::string& c : spec.choices) {
            if (c.empty()) return "empty choice";
            if (!seen.insert(c).second) return "duplicate choice \"" + c + "\"";
        }
    } else if (!spec.choices.empty()) {
        return std::string("only a choice attribute has choices, this one is ") + attribute_kind_name(spec.kind);
    }
    if (!attribute_value_fits(spec, spec.default_value))
        return "default " + attribute_value_text(spec.default_value) + " is not a " + attribute_kind_name(spec.kind) +
               " value" + (spec.kind == AttributeKind::choice ? " of the choices" : "");
    return "";
}

const AttributeSpec* find_attribute(const Category& category, const std::string& name) {
    for (const AttributeSpec& s : category.attributes)
        if (s.name == name) return &s;
    return nullptr;
}

std::optional<AttributeValue> attribute_value(const Instance& inst, const Category* category, const std::string& name) {
    if (name == kAttrNote) return AttributeValue(inst.note);
    if (name == kAttrCrowd) return AttributeValue(inst.iscrowd);
    if (name == kAttrOccluded) return AttributeValue(inst.occluded);
    if (name == kAttrTruncated) return AttributeValue(inst.truncated);
    const AttributeSpec* spec = category ? find_attribute(*category, name) : nullptr;
    if (!spec) return std::nullopt;
    auto it = inst.attributes.find(name);
    return it == inst.attributes.end() ? spec->default_value : it->second;
}

bool store_attribute(Instance& inst, const Category* category, const std::string& name, const AttributeValue& value) {
    if (name == kAttrNote) {
        if (!std::holds_alternative<std::string>(value)) return false;
        inst.note = std::get<std::string>(value);
        return true;
    }
    if (bool* flag = fixed_flag(inst, name)) {
        if (!std::holds_alternative<bool>(value)) return false;
        *flag = std::get<bool>(value);
        return true;
    }
    const AttributeSpec* spec = category ? find_attribute(*category, name) : nullptr;
    if (!spec || !attribute_value_fits(*spec, value)) return false;
    if (value == spec->default_value) inst.attributes.erase(name);
    else inst.attributes[name] = value;
    return true;
}

void add_missing_declarations(Category& into, const Category& from) {
    for (const AttributeSpec& spec : from.attributes)
        if (!find_attribute(into, spec.name)) into.attributes.push_back(spec);
}

void keep_declared_attributes(Instance& inst, const Category& category) {
    for (auto it = inst.attributes.begin(); it != inst.attributes.end();) {
        const AttributeSpec* spec = find_attribute(category, it->first);
        const bool keep = spec && attribute_value_fits(*spec, it->second) && !(it->second == spec->default_value);
        it = keep ? std::next(it) : inst.attributes.erase(it);
    }
}

bool has_attributes(const Instance& inst) {
    return inst.iscrowd || inst.occluded || inst.truncated || !inst.note.empty() || !inst.attributes.empty();
}

std::string attribute_value_text(const AttributeValue& value) {
    if (std::holds_alternative<bool>(value)) return std::get<bool>(value) ? "true" : "false";
    if (std::holds_alternative<std::string>(value)) return "\"" + std::get<std::string>(value) + "\"";
    std::ostringstream out;
    out << std::get<double>(value);
    return out.str();
}

}  // namespace xs
