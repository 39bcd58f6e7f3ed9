#pragma once
// Shared by the fuzz targets. The contract under test: a parser given any bytes either returns a
// valid result or throws xs::Error. Any other exception (a json type_error, std::out_of_range,
// std::bad_alloc, a c10::Error) escaping a parser is a finding, and so is a failed invariant: both
// abort with a message, which libFuzzer (and the gcc replay suite, test_fuzz_replay) reports.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "core/util/error.h"

namespace xs::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
    std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

#define XS_FUZZ_REQUIRE(cond, msg)                                                               \
    do {                                                                                         \
        if (!(cond)) ::xs::fuzz::finding(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                         ": " #cond ": " + std::string(msg));                    \
    } while (0)

// Runs fn; xs::Error is the expected rejection (returns false), success returns true, anything else
// is a finding.
template <class F>
bool accepts(F&& fn) {
    try {
        fn();
        return true;
    } catch (const xs::Error&) {
        return false;
    } catch (const std::exception& e) {
        finding(std::string("a parser let a non-xs::Error exception escape: ") + e.what());
    } catch (...) {
        finding("a parser threw something that is not a std::exception");
    }
}

}  // namespace xs::fuzz
