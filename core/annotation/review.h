#pragma once
// The review state of an image: where it stands in the annotators' work (to do, in progress, done,
// needs review) and free tags ("night", "blurred", "ask Anna"). Plain data, no Qt.
//
//   xs::Project p = ...;
//   std::optional<xs::ProjectEdit> e = xs::set_review_status(p, {"a/0001.jpg"}, xs::ReviewStatus::done);
//   // (core/annotation/editing.h; the GUI pushes it as one undo step)
//
// An image is named by its ImageKey, so images the folder scan listed but nobody opened yet (no
// ImageRecord) have a review state too. Project::reviews holds only images whose state is not the
// default (to do, no tags).
#include <optional>
#include <string>
#include <vector>

namespace xs {

enum class ReviewStatus { todo, in_progress, done, needs_review };

constexpr ReviewStatus kReviewStatuses[] = {ReviewStatus::todo, ReviewStatus::in_progress, ReviewStatus::done,
                                            ReviewStatus::needs_review};

// "todo", "in_progress", "done", "needs_review": the names in the project file.
const char* review_status_name(ReviewStatus status);
std::optional<ReviewStatus> review_status_from_name(const std::string& name);
// "To do", "In progress", "Done", "Needs review": what the GUI shows.
const char* review_status_title(ReviewStatus status);

struct ImageReview {
    ReviewStatus status = ReviewStatus::todo;
    std::vector<std::string> tags;  // sorted, unique, each non-empty without leading/trailing spaces
    bool is_default() const { return status == ReviewStatus::todo && tags.empty(); }
    bool has_tag(const std::string& tag) const;
    bool operator==(const ImageReview& o) const { return status == o.status && tags == o.tags; }
};

// A tag as it is stored: spaces and tabs around it removed; empty when nothing is left, or when the
// text holds a line break (a tag is one line in the list).
std::string normalized_tag(const std::string& text);

}  // namespace xs
