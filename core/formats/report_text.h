#pragma once
// The words of an export's loss report and an import's counts, for xsam-cli and the GUI alike.
#include <string>

#include "core/formats/format.h"

namespace xs {

// "nothing lost", or "lost, per image:" with one line per image (its counts, the mask pixels that
// differ and the worst IoU) and a "lost in total: ..." line. Lines end with '\n'.
std::string loss_report_text(const ExportReport& report);

// "N image(s) added, M matched; ... instance(s); ... episode(s)": what an import added.
std::string import_counts_text(const ImportReport& report);

}  // namespace xs
