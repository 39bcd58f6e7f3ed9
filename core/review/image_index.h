#pragma once
// Finding images in a long list: a summary per listed image (name, review status, tags, categories
// present, instance count), kept up to date one image at a time as edits arrive, and the filters
// evaluated over it. No Qt; the GUI's image list shows the rows filter() returns.
//
//   xs::ImageIndex index;
//   index.reset(keys_in_list_order, project);        // once per scan
//   index.update(key, project);                      // after that image's instances or review changed
//   xs::ImageFilter f;
//   f.status = xs::ReviewStatus::todo;
//   f.name = "*.png";
//   std::vector<int> rows = index.filter(f, images_with_pending_candidates);
//   int next = xs::next_unfinished(index, rows, current_row);
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/annotation/project.h"

namespace xs {

struct ImageSummary {
    ImageKey key;
    std::u32string folded_key;  // folded_name(key): for name searches without regard to case
    ReviewStatus status = ReviewStatus::todo;
    std::vector<std::string> tags;  // sorted
    std::vector<int> categories;    // ids of the categories its instances have, sorted, unique
    int instance_count = 0;
};

struct ImageFilter {
    // Part of the image's path, without regard to case; with '*' (any run of characters) or '?' (one
    // character) it is a pattern for the whole path instead. Empty: any name.
    std::string name;
    std::optional<ReviewStatus> status;
    std::string tag;       // empty: any
    int category_id = 0;   // 0: any; else images with at least one instance of it
    int min_instances = 0;
    int max_instances = -1;  // -1: no upper bound
    bool pending_only = false;  // only images with "find all like this" candidates not yet accepted
    bool operator==(const ImageFilter& o) const;
};

// Whether the name filter `pattern` (folded, see ImageFilter::name) accepts `folded_key`.
bool name_matches(const std::u32string& pattern, const std::u32string& folded_key);

class ImageIndex {
public:
    // The images `keys` (in list order) as the project has them now.
    void reset(const std::vector<ImageKey>& keys, const Project& project);
    // Reads one image again from the project; an image not listed is ignored.
    void update(const ImageKey& key, const Project& project);
    int size() const { return int(rows_.size()); }
    const ImageSummary& at(int row) const { return rows_[size_t(row)]; }
    int row_of(const ImageKey& key) const;  // -1 when not listed
    // The rows that pass `filter`, in list order. `pending`: the images with pending candidates.
    std::vector<int> filter(const ImageFilter& filter, const std::set<ImageKey>& pending) const;
    // Whether the image at `row` passes `filter` (one row of filter()).
    bool passes(int row, const ImageFilter& filter, const std::set<ImageKey>& pending) const;
    // Every tag some listed image has, sorted.
    std::vector<std::string> tags() const;

private:
    static void summarize(ImageSummary& s, const ImageRecord* record, const ImageReview& review);
    std::vector<ImageSummary> rows_;
    std::unordered_map<ImageKey, int> row_of_;
};

// The first of `rows` (list order) after `from_row` whose status is not done, wrapping round to the
// start of `rows`; `from_row` itself comes last. -1 when every one is done.
int next_unfinished(const ImageIndex& index, const std::vector<int>& rows, int from_row);

}  // namespace xs
