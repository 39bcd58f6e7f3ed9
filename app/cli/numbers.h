#pragma once
// Numeric option values, checked with messages that name the option:
//   parse_count("0x3", "--limit", 0)  ->  xs::Error "--limit '0x3': expected a whole number >= 0"
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/util/error.h"

namespace xs::cli {

inline int64_t parse_count(const std::string& s, const std::string& what, int64_t min_value,
                           int64_t max_value = std::numeric_limits<int64_t>::max()) {
    try {
        size_t used = 0;
        const long long v = std::stoll(s, &used);
        if (used != s.size() || v < min_value || v > max_value) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw Error(what + " '" + s + "': expected a whole number >= " + std::to_string(min_value) +
                    (max_value < std::numeric_limits<int64_t>::max() ? " and <= " + std::to_string(max_value) : ""));
    }
}

// A number in [0, 1] (thresholds).
inline float parse_unit(const std::string& s, const std::string& what) {
    try {
        size_t used = 0;
        const float v = std::stof(s, &used);
        if (used != s.size() || !(v >= 0.f && v <= 1.f)) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw Error(what + " '" + s + "': expected a number between 0 and 1");
    }
}

}  // namespace xs::cli
