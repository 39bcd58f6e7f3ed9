#pragma once
// The parts of the project's data that a format may or may not carry, beyond the masks and their
// categories (which every format carries). One row per part; an export counts, per image, every part
// present in the project that the format does not list in FormatInfo::carries. A new kind of data
// (like attributes) is one row here, plus its key in the formats that write it.
#include <cstdint>
#include <string>
#include <vector>

#include "core/annotation/project.h"

namespace xs {

struct DataPart {
    const char* key;      // what FormatInfo::carries lists: "referring"
    const char* counted;  // what the loss count counts: "referring sentences"
    int64_t (*count)(const ImageRecord& image);  // how many the image holds
};

const std::vector<DataPart>& data_parts();

}  // namespace xs
