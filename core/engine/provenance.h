#pragma once
// From an engine's request and result to the grounding data the project keeps
// (core/annotation/grounding.h): the prompt that made an instance, a grounded caption with its
// phrase-to-instance links, and a "find all like this" episode. The GUI calls these where it turns
// answers into instances:
//
//   xs::Instance& inst = project.add_instance(img, cat, xs::rle_encode(r.mask), r.score, "xsam:referring");
//   xs::record_prompt(inst, request);                     // task, full text, visual prompt geometry
//
//   // a grounded caption accepted with instance ids[k] made from result.instances[k]:
//   img.captions.push_back(xs::caption_record(result, ids, "xsam:gcg"));
//
//   // "find all like this": the example, then each accepted / rejected candidate
//   img.episodes.push_back(xs::episode_record(request, example_instance_id, "xsam"));
//   img.episodes.back().accepted.push_back(new_instance.id);
//   img.episodes.back().rejected.push_back(xs::rejected_candidate(candidate));
#include <string>
#include <vector>

#include "core/annotation/project.h"
#include "core/engine/engine.h"

namespace xs {

// The request as the project keeps it: task name, the full text (referring sentence, question, or
// the category list joined with ", "), and every visual prompt (points, boxes, scribbles, mask
// prompts; a previous mask given for refinement is not a prompt and is not kept).
InstancePrompt prompt_record(const SegmentRequest& request);
// Sets inst.prompt; a referring expression also becomes one of the instance's referring sentences.
void record_prompt(Instance& inst, const SegmentRequest& request);

// A generated caption with X-SAM's marks ("<p>A dog</p><SEG> chases <p>a ball</p><SEG>.") as plain
// text with phrase spans: marks removed, a space put back after a phrase that runs into a word,
// whitespace collapsed (the text the Caption panel shows). Phrases have no links yet.
GroundedCaption parse_grounded_caption(const std::string& marked_text);
// The caption of a grounded-caption result; `instance_ids[k]` is the instance made from
// result.instances[k] (0: not accepted), linked to phrase result.instances[k].prompt_index.
GroundedCaption caption_record(const SegmentResult& result, const std::vector<int64_t>& instance_ids,
                               const std::string& source);

// A new episode: the example is the selected instance when `example_instance_id` is not 0, else the
// request's visual prompts. Accepted and rejected candidates are added as the user decides.
FindAllEpisode episode_record(const SegmentRequest& request, int64_t example_instance_id, const std::string& source);
RejectedCandidate rejected_candidate(const InstanceResult& candidate);

}  // namespace xs
