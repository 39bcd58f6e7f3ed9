#include "core/annotation/review.h"

#include <algorithm>

namespace xs {

const char* review_status_name(ReviewStatus status) {
    switch (status) {
        case ReviewStatus::todo: return "todo";
        case ReviewStatus::in_progress: return "in_progress";
        case ReviewStatus::done: return "done";
        case ReviewStatus::needs_review: return "needs_review";
    }
    return "todo";
}

std::optional<ReviewStatus> review_status_from_name(const std::string& name) {
    for (ReviewStatus s : kReviewStatuses)
        if (name == review_status_name(s)) return s;
    return std::nullopt;
}

const char* review_status_title(ReviewStatus status) {
    switch (status) {
        case ReviewStatus::todo: return "To do";
        case ReviewStatus::in_progress: return "In progress";
        case ReviewStatus::done: return "Done";
        case ReviewStatus::needs_review: return "Needs review";
    }
    return "To do";
}

bool ImageReview::has_tag(const std::string& tag) const { return std::binary_search(tags.begin(), tags.end(), tag); }

std::string normalized_tag(const std::string& text) {
    if (text.find_first_of("\r\n") != std::string::npos) return {};
    const size_t first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    const size_t last = text.find_last_not_of(" \t");
    return text.substr(first, last - first + 1);
}

}  // namespace xs
