#include "core/io/attributes_json.h"

#include <set>

#include "core/io/json_read.h"

namespace xs {

using ojson = nlohmann::ordered_json;
using namespace jsonr;

ojson attribute_value_to_json(const AttributeValue& value) {
    if (std::holds_alternative<bool>(value)) return std::get<bool>(value);
    if (std::holds_alternative<double>(value)) return std::get<double>(value);
    return std::get<std::string>(value);
}

AttributeValue attribute_value_from_json(const json& j, const AttributeSpec& spec, const std::string& src,
                                         const std::string& path) {
    AttributeValue value;
    switch (spec.kind) {
        case AttributeKind::boolean: value = get_bool(j, src, path); break;
        case AttributeKind::number: value = get_number(j, src, path); break;
        case AttributeKind::choice:
        case AttributeKind::text: value = get_string(j, src, path); break;
    }
    if (!attribute_value_fits(spec, value))
        fail(src, path, attribute_value_text(value) + " is not one of the choices of \"" + spec.name + "\"");
    return value;
}

ojson attribute_specs_to_json(const std::vector<AttributeSpec>& specs) {
    ojson out = ojson::array();
    for (const AttributeSpec& s : specs) {
        ojson j;
        j["name"] = s.name;
        j["kind"] = attribute_kind_name(s.kind);
        if (s.kind == AttributeKind::choice) j["choices"] = s.choices;
        j["default"] = attribute_value_to_json(s.default_value);
        out.push_back(std::move(j));
    }
    return out;
}

std::vector<AttributeSpec> attribute_specs_from_json(const json& j, const std::string& src, const std::string& path) {
    std::vector<AttributeSpec> specs;
    std::set<std::string> names;
    get_array(j, src, path);
    for (size_t i = 0; i < j.size(); ++i) {
        const std::string sp = index(path, i);
        const json& js = get_object(j[i], src, sp);
        AttributeSpec spec;
        spec.name = get_string(field(js, "name", src, sp), src, join(sp, "name"));
        const std::string kind = get_string(field(js, "kind", src, sp), src, join(sp, "kind"));
        const std::optional<AttributeKind> k = attribute_kind_from_name(kind);
        if (!k) fail(src, join(sp, "kind"), "unknown kind \"" + kind + "\" (boolean, choice, number or text)");
        spec.kind = *k;
        if (js.contains("choices")) {
            const json& jc = get_array(js.at("choices"), src, join(sp, "choices"));
            for (size_t c = 0; c < jc.size(); ++c) spec.choices.push_back(get_string(jc[c], src, index(join(sp, "choices"), c)));
        }
        // The default is checked for its type here and for the rest (choices) with the declaration.
        AttributeSpec typed = spec;
        typed.kind = spec.kind == AttributeKind::choice ? AttributeKind::text : spec.kind;
        spec.default_value = attribute_value_from_json(field(js, "default", src, sp), typed, src, join(sp, "default"));
        const std::string problem = attribute_spec_problem(spec);
        if (!problem.empty()) fail(src, sp, problem);
        if (!names.insert(spec.name).second) fail(src, join(sp, "name"), "duplicate attribute \"" + spec.name + "\"");
        specs.push_back(std::move(spec));
    }
    return specs;
}

}  // namespace xs
