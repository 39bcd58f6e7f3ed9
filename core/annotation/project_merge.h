#pragma once
// Bringing annotations made in one copy of a project into another (the app-data copy kept while an
// image folder was read-only, core/io/fallback_project.h).
//
//   xs::ProjectMergeSummary s = xs::merge_project_into(folder_project, app_data_copy);
//
// Rules: categories are matched by name (new ones are added with their colour); images by file
// name (new ones are added); an instance is the same instance when it has the same id on the same
// image and the same creation time: the copy's version wins when it was modified later. Every other
// instance of the copy is added with a fresh id. Captions and episodes of the copy that `base` lacks
// are added, their instance links following the merged instances. Nothing is ever removed from `base`.
#include <cstdint>
#include <string>
#include <vector>

#include "core/annotation/project.h"

namespace xs {

struct ProjectMergeSummary {
    int categories_added = 0;
    int images_added = 0;
    int64_t instances_added = 0;
    int64_t instances_updated = 0;  // a later edit of the same instance
    std::vector<std::string> warnings;  // images whose size differs between the two (left out)
    bool changed() const { return categories_added + images_added + instances_added + instances_updated > 0; }
};

ProjectMergeSummary merge_project_into(Project& base, const Project& other);

}  // namespace xs
