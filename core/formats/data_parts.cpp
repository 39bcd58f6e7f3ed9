#include "core/formats/data_parts.h"

namespace xs {

namespace {

template <typename Pred>
int64_t instances_where(const ImageRecord& image, Pred pred) {
    int64_t n = 0;
    for (const Instance& inst : image.instances) n += pred(inst) ? 1 : 0;
    return n;
}

}  // namespace

const std::vector<DataPart>& data_parts() {
    static const std::vector<DataPart> parts = {
        {"score", "scores", [](const ImageRecord& img) {
             return instances_where(img, [](const Instance& i) { return i.score != 1.0f; });
         }},
        {"prompt", "prompts", [](const ImageRecord& img) {
             return instances_where(img, [](const Instance& i) { return !i.prompt.empty(); });
         }},
        {"referring", "referring sentences", [](const ImageRecord& img) {
             int64_t n = 0;
             for (const Instance& i : img.instances) n += int64_t(i.referring.size());
             return n;
         }},
        {"captions", "captions", [](const ImageRecord& img) { return int64_t(img.captions.size()); }},
        {"episodes", "episodes", [](const ImageRecord& img) { return int64_t(img.episodes.size()); }},
        {"attributes", "instances with attributes",
         [](const ImageRecord& img) { return instances_where(img, has_attributes); }},
    };
    return parts;
}

}  // namespace xs
