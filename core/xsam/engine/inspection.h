#pragma once
// Fills the torch-free inspection (core/engine/inspection.h) from one X-SAM scoring pass: the token
// sequence (prefix and question, with the placeholders), the region canvases with the points the
// region sampler read, the last decoder level's per-query mask logits and class probabilities, the
// post-processing rule and its inputs (prompt box, negative prompt rasters), thresholds and timings.
#include <memory>
#include <string>
#include <vector>

#include "core/engine/inspection.h"
#include "core/xsam/engine/xsam_engine.h"

namespace xs::xsam {

// `generic_mode`: the engine's rule for generic / open-vocabulary ("instance", "panoptic", "semantic").
std::shared_ptr<Inspection> make_inspection(const XsamEngine& engine, const XsamPrepared& prepared,
                                            const ScoringOutput& scoring, const SegmentRequest& request,
                                            const std::vector<StageTiming>& timings, const std::string& generic_mode);

}  // namespace xs::xsam
