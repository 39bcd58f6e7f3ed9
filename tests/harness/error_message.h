#pragma once
// expect_error(f): runs f and returns the message of the xs::Error it throws, or "<no error>".
// Shared by the suites that check bad-input messages (io, coco).
#include <string>

#include "core/util/error.h"

namespace xs::test {

template <typename F>
std::string expect_error(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace xs::test
