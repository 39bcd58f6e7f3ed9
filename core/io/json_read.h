#pragma once
// Small helpers for reading JSON documents with error messages that name the file and the field:
//   "instances.json: annotations[3].category_id: expected an integer, got a string".
// Used by the project file and the COCO reader.
#include <cmath>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace xs::jsonr {

using json = nlohmann::json;

inline std::string type_text(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
    if (v.is_number_float()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "a list";
    if (v.is_object()) return "an object";
    return "a value";
}

[[noreturn]] inline void fail(const std::string& source, const std::string& path, const std::string& problem) {
    throw Error(source + ": " + (path.empty() ? std::string() : path + ": ") + problem);
}

// Parses text; malformed or truncated JSON names the byte offset.
inline json parse(const std::string& text, const std::string& source) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        // parse_error, and out_of_range.406 for numbers beyond double's range such as 1e309 (found
        // by tests/fuzz/fuzz_project: it escaped as a non-xs::Error exception).
        std::string what = e.what();
        // nlohmann's message starts with "[json.exception.parse_error.101] "; keep the useful part.
        const size_t cut = what.find("] ");
        if (cut != std::string::npos) what = what.substr(cut + 2);
        throw Error(source + ": malformed JSON (" + what + ")");
    }
}

inline const json& field(const json& obj, const char* key, const std::string& source, const std::string& path) {
    if (!obj.is_object()) fail(source, path, "expected an object, got " + type_text(obj));
    auto it = obj.find(key);
    if (it == obj.end()) fail(source, path, std::string("missing required field \"") + key + "\"");
    return *it;
}

inline std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}
inline std::string index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// An integer; a float with an integral value (e.g. 3.0) is accepted, strings and booleans are not.
inline int64_t get_int(const json& v, const std::string& source, const std::string& path) {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u > uint64_t(INT64_MAX)) fail(source, path, "integer out of range");
        return int64_t(u);
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15) return int64_t(d);
        fail(source, path, "expected an integer, got " + v.dump());
    }
    fail(source, path, "expected an integer, got " + type_text(v));
}

inline int get_int32(const json& v, const std::string& source, const std::string& path) {
    const int64_t x = get_int(v, source, path);
    if (x < INT32_MIN || x > INT32_MAX) fail(source, path, "integer out of range: " + std::to_string(x));
    return int(x);
}

inline double get_number(const json& v, const std::string& source, const std::string& path) {
    if (!v.is_number()) fail(source, path, "expected a number, got " + type_text(v));
    const double d = v.get<double>();
    if (!std::isfinite(d)) fail(source, path, "number is not finite");
    return d;
}

inline std::string get_string(const json& v, const std::string& source, const std::string& path) {
    if (!v.is_string()) fail(source, path, "expected a string, got " + type_text(v));
    return v.get<std::string>();
}

inline bool get_bool(const json& v, const std::string& source, const std::string& path) {
    if (!v.is_boolean()) fail(source, path, "expected true or false, got " + type_text(v));
    return v.get<bool>();
}

inline const json& get_array(const json& v, const std::string& source, const std::string& path) {
    if (!v.is_array()) fail(source, path, "expected a list, got " + type_text(v));
    return v;
}

inline const json& get_object(const json& v, const std::string& source, const std::string& path) {
    if (!v.is_object()) fail(source, path, "expected an object, got " + type_text(v));
    return v;
}

}  // namespace xs::jsonr
