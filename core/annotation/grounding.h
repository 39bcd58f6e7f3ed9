#pragma once
// Grounding data: what made an instance, and the image-level records that link text and examples to
// instances. These are the training and test data of referring, reasoning, grounded-caption (GCG) and
// visual-grounded (VGD) models, so the project keeps them whole.
//
//   inst.prompt.task = "referring";                         // how the instance was made
//   inst.prompt.text = "the dog on the left";
//   inst.referring = {"the dog on the left", "brown dog"};  // every referring sentence for it
//
//   xs::GroundedCaption cap;                                 // per image
//   cap.text = "A dog chases a ball.";
//   cap.phrases.push_back({0, 5, {inst.id}});                // "A dog" -> the dog's instance
//
//   xs::FindAllEpisode ep;                                   // "find all like this", per image
//   ep.example = {xs::box_prompt(10, 10, 50, 60)};  ep.accepted = {7, 8};  ep.rejected = {{rle, 0.41f}};
//
// Links are instance ids of the same image. Ids are never reused in a project, so a link to an
// instance deleted since simply no longer resolves; prune_dead_links() drops those (the project file
// does so on save).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/mask/mask.h"

namespace xs {

// One visual prompt as the user gave it, in image pixels (pixel centres at +0.5).
struct VisualPrompt {
    enum class Kind { Point, Box, Scribble, Mask };
    Kind kind = Kind::Point;
    bool positive = true;
    // Point: one point; Box: the corners (x0, y0), (x1, y1); Scribble: the polyline. Empty for a
    // prompt known only as a raster (imported VGD data, see `raster`).
    std::vector<std::array<double, 2>> points;
    double radius = 0;  // scribble stroke radius in pixels; 0: the engine's default
    // Mask prompts, and prompts imported as rasters without their geometry (X-SAM's VGD data stores
    // point, scribble and box prompts as masks). Empty (0 x 0) otherwise.
    Rle raster;

    bool operator==(const VisualPrompt& o) const {
        return kind == o.kind && positive == o.positive && points == o.points && radius == o.radius &&
               raster == o.raster;
    }
};
const char* visual_prompt_kind_name(VisualPrompt::Kind kind);  // "point", "box", "scribble", "mask"
bool visual_prompt_kind_from_name(const std::string& name, VisualPrompt::Kind& kind);

VisualPrompt point_prompt(double x, double y, bool positive = true);
VisualPrompt box_prompt(double x0, double y0, double x1, double y1);
VisualPrompt mask_prompt(Rle mask);

// The request that produced an instance. Empty for hand-drawn and imported instances.
struct InstancePrompt {
    std::string task;  // an engine task name ("interactive", "vgd", "referring", "reasoning", "generic",
                       // "ovseg", "gcg"); empty when not recorded
    std::string text;  // the full text: referring sentence, question, category list, caption phrase
    std::vector<VisualPrompt> visual;

    bool empty() const { return task.empty() && text.empty() && visual.empty(); }
    bool operator==(const InstancePrompt& o) const { return task == o.task && text == o.text && visual == o.visual; }
};

// A phrase of a caption: characters [start, end) of the caption text, counted in Unicode code points
// (as Python indexes a str, so spans match X-SAM's and GLaMM's data), and the instances it names.
struct GroundedPhrase {
    int64_t start = 0;
    int64_t end = 0;
    std::vector<int64_t> instance_ids;
    bool operator==(const GroundedPhrase& o) const {
        return start == o.start && end == o.end && instance_ids == o.instance_ids;
    }
};

struct GroundedCaption {
    std::string text;  // valid UTF-8
    std::vector<GroundedPhrase> phrases;
    std::string source;      // "xsam:gcg", "import:gcg", "manual", ...
    int64_t created_ms = 0;  // Unix epoch milliseconds
    bool operator==(const GroundedCaption& o) const {
        return text == o.text && phrases == o.phrases && source == o.source && created_ms == o.created_ms;
    }
};

// A candidate the user rejected: not an instance, so its mask is kept here.
struct RejectedCandidate {
    Rle mask;
    float score = 0;
    bool operator==(const RejectedCandidate& o) const { return mask == o.mask && score == o.score; }
};

// One "find all like this" run: the example, and what the user did with each candidate.
struct FindAllEpisode {
    int64_t example_instance_id = 0;    // the selected instance used as the example; 0: none
    std::vector<VisualPrompt> example;  // the prompts drawn as the example (when no instance was used)
    std::vector<int64_t> accepted;      // the instances made from accepted candidates
    std::vector<RejectedCandidate> rejected;
    std::string source;                 // engine, e.g. "xsam"
    int64_t created_ms = 0;
    bool operator==(const FindAllEpisode& o) const {
        return example_instance_id == o.example_instance_id && example == o.example && accepted == o.accepted &&
               rejected == o.rejected && source == o.source && created_ms == o.created_ms;
    }
};

// Number of Unicode code points in valid UTF-8 text.
int64_t utf8_length(const std::string& text);
// The bytes of code points [start, end) of valid UTF-8 text; start/end are clamped to the text.
std::string utf8_substr(const std::string& text, int64_t start, int64_t end);
// The text of a phrase.
std::string phrase_text(const GroundedCaption& caption, const GroundedPhrase& phrase);

}  // namespace xs
