#pragma once
// Merging the shard outputs of `xsam-cli batch` into one COCO file (xsam-cli merge-coco).
//
//   xs::MergeReport rep;
//   xs::merge_coco_files({"part-0.json", "part-1.json"}, "all.json", &rep);   // atomic; throws xs::Error
//
// Every part must be a complete batch output (info.xsam_batch present). The parts must agree on the run
// (engine, task, thresholds, ...), the category names and the image list they were made from; together
// they must hold every shard 0..N-1 exactly once, and no image may appear twice. Images keep their ids
// (the position in the full list) and annotations are renumbered 1..M in image order, so the merged file
// is byte for byte the file one unsharded run writes. On any error nothing is written and the message
// names the part file and the field.
#include <string>
#include <utility>
#include <vector>

namespace xs {

struct MergeReport {
    int parts = 0;
    int shards = 0;        // N
    int images = 0;        // labelled images in the merged file
    int failed_images = 0; // listed in info.xsam_batch.failed_images
    int annotations = 0;
};

// parts: (name for messages, JSON text). Returns the merged document's text.
std::string merge_coco_texts(const std::vector<std::pair<std::string, std::string>>& parts,
                             MergeReport* report = nullptr);
void merge_coco_files(const std::vector<std::string>& part_paths, const std::string& out_path,
                      MergeReport* report = nullptr);

}  // namespace xs
