#pragma once
// Errors shared by every core area. Core code reports bad input by throwing xs::Error with a
// message a user can act on ("instances.json: annotations[3].segmentation.counts sums to 12, expected
// 4800 (= 60 x 80)"); callers at the edges (CLI, GUI) catch it and show the message.
#include <stdexcept>
#include <string>

namespace xs {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown by engines when a CancelToken fires; not an error the user needs to see.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

}  // namespace xs
