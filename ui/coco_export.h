#pragma once
// Exports for the GUI: run the core writers (COCO, and every format of core/formats) and word their
// reports for the user.
#include <QMetaType>
#include <QString>
#include <functional>

#include "core/annotation/project.h"
#include "core/formats/format.h"

namespace xs {

struct CocoExportResult {
    bool ok = false;
    bool cancelled = false;  // progress returned false: nothing was written
    QString summary;  // what was written, or why nothing was
};

// Safe to call on a worker thread (it only reads the given project).
CocoExportResult export_coco_file(const Project& project, const QString& path, bool polygons);
// The same, calling progress(done, total) after each image (on the calling thread); when it returns
// false the export stops, nothing is written, and the result says cancelled.
CocoExportResult export_coco_file(const Project& project, const QString& path, bool polygons,
                                  std::function<bool(int done, int total)> progress);

// An export in any registered format (options.progress may cancel it: nothing is written); the
// summary counts what was written and, per image, what the format lost (core/formats/report_text.h).
CocoExportResult export_in_format(const Project& project, const Format& format, const QString& path,
                                  const ExportOptions& options);

}  // namespace xs
