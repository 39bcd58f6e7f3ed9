#pragma once
// Instance attributes: the fixed ones every instance has (iscrowd, occluded, truncated, a note) and
// the custom ones a category declares (boolean, choice from a list, number, text; each with a default).
//
//   xs::AttributeSpec spec{"colour", xs::AttributeKind::choice, {"red", "green"}, std::string("red")};
//   if (xs::attribute_spec_problem(spec).empty()) category.attributes.push_back(spec);
//   xs::AttributeValue v = xs::attribute_value(inst, &category, "colour");   // "red" until set
//
// An instance stores a custom value only when it differs from the default (absent means the default),
// so a project that uses no attribute stays exactly as it was.
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace xs {

struct Category;
struct Instance;

enum class AttributeKind { boolean, choice, number, text };

// A boolean (boolean kind), a number (number kind) or a string (choice and text kinds).
using AttributeValue = std::variant<bool, double, std::string>;

struct AttributeSpec {
    std::string name;
    AttributeKind kind = AttributeKind::boolean;
    std::vector<std::string> choices;  // choice kind only: non-empty, unique
    AttributeValue default_value = false;
};
bool operator==(const AttributeSpec& a, const AttributeSpec& b);
inline bool operator!=(const AttributeSpec& a, const AttributeSpec& b) { return !(a == b); }

// The fixed attributes, by the names the COCO `attributes` object and the editing operations use.
constexpr const char* kAttrCrowd = "iscrowd";
constexpr const char* kAttrOccluded = "occluded";
constexpr const char* kAttrTruncated = "truncated";
constexpr const char* kAttrNote = "note";
bool is_fixed_attribute(const std::string& name);

const char* attribute_kind_name(AttributeKind kind);  // "boolean", "choice", "number", "text"
std::optional<AttributeKind> attribute_kind_from_name(const std::string& name);

// Whether `value` is a value of the spec: the right type, and one of the choices for a choice.
bool attribute_value_fits(const AttributeSpec& spec, const AttributeValue& value);
// What is wrong with a declaration ("" when nothing): the name (non-empty, not a fixed attribute's),
// the choices, the default.
std::string attribute_spec_problem(const AttributeSpec& spec);

const AttributeSpec* find_attribute(const Category& category, const std::string& name);
// The value an instance has for a fixed attribute or for a custom one of its category (its default
// when not set); nullopt for a name that is neither.
std::optional<AttributeValue> attribute_value(const Instance& inst, const Category* category, const std::string& name);
// Stores `value` (fixed attribute, or custom one declared by `category` that `value` fits); false when
// it cannot. A custom value equal to the default is erased instead of stored.
bool store_attribute(Instance& inst, const Category* category, const std::string& name, const AttributeValue& value);
// Adds to `into` the declarations of `from` it lacks by name (a name both have keeps into's), for
// instances brought over from another project or file.
void add_missing_declarations(Category& into, const Category& from);
// Drops the custom values `category` does not declare (or that no longer fit its declaration).
void keep_declared_attributes(Instance& inst, const Category& category);

// Whether an instance has any attribute other than its defaults.
bool has_attributes(const Instance& inst);

std::string attribute_value_text(const AttributeValue& value);  // for messages: true, 2.5, "red"

}  // namespace xs
