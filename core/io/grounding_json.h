#pragma once
// Grounding data (core/annotation/grounding.h) as JSON, shared by the project file and the formats
// that carry it. Readers check everything and throw xs::Error naming the file and the field.
//
//   nlohmann::ordered_json j = xs::prompt_to_json(inst.prompt);
//   inst.prompt = xs::prompt_from_json(j, "p.json", "images[0].instances[3].prompt", width, height);
#include <string>

#include <nlohmann/json.hpp>

#include "core/annotation/grounding.h"

namespace xs {



// {"size": [height, width], "counts": "<pycocotools string>"}
nlohmann::ordered_json rle_to_json(const Rle& rle);
// A compressed (string) or uncompressed (list) COCO RLE of exactly height x width.
Rle rle_from_json(const nlohmann::json& j, const std::string& src, const std::string& path, int height, int width);

nlohmann::ordered_json visual_prompt_to_json(const VisualPrompt& prompt);
VisualPrompt visual_prompt_from_json(const nlohmann::json& j, const std::string& src, const std::string& path,
                                     int width, int height);
nlohmann::ordered_json visual_prompts_to_json(const std::vector<VisualPrompt>& prompts);
std::vector<VisualPrompt> visual_prompts_from_json(const nlohmann::json& j, const std::string& src,
                                                   const std::string& path, int width, int height);

// {"task": ..., "text": ..., "visual": [...]}, fields left out when empty.
nlohmann::ordered_json prompt_to_json(const InstancePrompt& prompt);
InstancePrompt prompt_from_json(const nlohmann::json& j, const std::string& src, const std::string& path, int width,
                                int height);

// Captions and episodes; `instance_ids` are the ids a link may name (the image's instances).
nlohmann::ordered_json caption_to_json(const GroundedCaption& caption);
GroundedCaption caption_from_json(const nlohmann::json& j, const std::string& src, const std::string& path,
                                  const std::vector<int64_t>& instance_ids);
nlohmann::ordered_json episode_to_json(const FindAllEpisode& episode);
FindAllEpisode episode_from_json(const nlohmann::json& j, const std::string& src, const std::string& path, int width,
                                 int height, const std::vector<int64_t>& instance_ids);

// A list of strings (referring sentences), each non-empty.
std::vector<std::string> sentences_from_json(const nlohmann::json& j, const std::string& src, const std::string& path);

}  // namespace xs
