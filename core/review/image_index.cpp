#include "core/review/image_index.h"

#include <algorithm>

#include "core/io/folder_scan.h"

namespace xs {

bool ImageFilter::operator==(const ImageFilter& o) const {
    return name == o.name && status == o.status && tag == o.tag && category_id == o.category_id &&
           min_instances == o.min_instances && max_instances == o.max_instances && pending_only == o.pending_only;
}

namespace {

bool is_pattern(const std::u32string& s) { return s.find_first_of(U"*?") != std::u32string::npos; }

// '*' and '?' over code points, iterative with one back-tracking point (the last '*').
bool glob_matches(const std::u32string& p, const std::u32string& s) {
    size_t i = 0, j = 0, star = std::u32string::npos, resume = 0;
    while (j < s.size()) {
        if (i < p.size() && (p[i] == U'?' || p[i] == s[j])) {
            ++i, ++j;
        } else if (i < p.size() && p[i] == U'*') {
            star = i++;
            resume = j;
        } else if (star != std::u32string::npos) {
            i = star + 1;
            j = ++resume;
        } else {
            return false;
        }
    }
    while (i < p.size() && p[i] == U'*') ++i;
    return i == p.size();
}

bool summary_matches(const ImageFilter& f, const std::u32string& folded_name_filter, const ImageSummary& s,
                     const std::set<ImageKey>& pending) {
    if (f.status && s.status != *f.status) return false;
    if (s.instance_count < f.min_instances) return false;
    if (f.max_instances >= 0 && s.instance_count > f.max_instances) return false;
    if (!f.tag.empty() && !std::binary_search(s.tags.begin(), s.tags.end(), f.tag)) return false;
    if (f.category_id && !std::binary_search(s.categories.begin(), s.categories.end(), f.category_id)) return false;
    if (!folded_name_filter.empty() && !name_matches(folded_name_filter, s.folded_key)) return false;
    if (f.pending_only && !pending.count(s.key)) return false;
    return true;
}

}  // namespace

bool name_matches(const std::u32string& pattern, const std::u32string& folded_key) {
    if (is_pattern(pattern)) return glob_matches(pattern, folded_key);
    return folded_key.find(pattern) != std::u32string::npos;
}

void ImageIndex::summarize(ImageSummary& s, const ImageRecord* record, const ImageReview& review) {
    s.status = review.status;
    s.tags = review.tags;
    s.categories.clear();
    s.instance_count = record ? int(record->instances.size()) : 0;
    if (!record) return;
    for (const Instance& inst : record->instances) s.categories.push_back(inst.category_id);
    std::sort(s.categories.begin(), s.categories.end());
    s.categories.erase(std::unique(s.categories.begin(), s.categories.end()), s.categories.end());
}

void ImageIndex::reset(const std::vector<ImageKey>& keys, const Project& project) {
    rows_.assign(keys.size(), ImageSummary{});
    row_of_.clear();
    row_of_.reserve(keys.size());
    for (size_t r = 0; r < keys.size(); ++r) {
        rows_[r].key = keys[r];
        rows_[r].folded_key = folded_name(keys[r]);
        row_of_[keys[r]] = int(r);
    }
    // From the project's side: it holds far fewer records and reviews than a big folder has images.
    for (const ImageRecord& rec : project.images) {
        const int r = row_of(rec.file_name);
        if (r >= 0) summarize(rows_[size_t(r)], &rec, project.review(rec.file_name));
    }
    for (const auto& [key, review] : project.reviews) {
        const int r = row_of(key);
        if (r < 0) continue;
        rows_[size_t(r)].status = review.status;  // the record's part was read above
        rows_[size_t(r)].tags = review.tags;
    }
}

void ImageIndex::update(const ImageKey& key, const Project& project) {
    const int r = row_of(key);
    if (r >= 0) summarize(rows_[size_t(r)], project.find_image(key), project.review(key));
}

int ImageIndex::row_of(const ImageKey& key) const {
    const auto it = row_of_.find(key);
    return it == row_of_.end() ? -1 : it->second;
}

std::vector<int> ImageIndex::filter(const ImageFilter& filter, const std::set<ImageKey>& pending) const {
    const std::u32string name = folded_name(filter.name);
    std::vector<int> rows;
    rows.reserve(rows_.size());
    for (size_t r = 0; r < rows_.size(); ++r)
        if (summary_matches(filter, name, rows_[r], pending)) rows.push_back(int(r));
    return rows;
}

bool ImageIndex::passes(int row, const ImageFilter& filter, const std::set<ImageKey>& pending) const {
    return summary_matches(filter, folded_name(filter.name), rows_[size_t(row)], pending);
}

std::vector<std::string> ImageIndex::tags() const {
    std::set<std::string> all;
    for (const ImageSummary& s : rows_) all.insert(s.tags.begin(), s.tags.end());
    return {all.begin(), all.end()};
}

int next_unfinished(const ImageIndex& index, const std::vector<int>& rows, int from_row) {
    const auto after = std::upper_bound(rows.begin(), rows.end(), from_row);
    const size_t start = size_t(after - rows.begin());
    for (size_t k = 0; k < rows.size(); ++k) {
        const int row = rows[(start + k) % rows.size()];
        if (index.at(row).status != ReviewStatus::done) return row;
    }
    return -1;
}

}  // namespace xs
