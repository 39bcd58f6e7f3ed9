#pragma once
// COCO export for the GUI: runs the core writer and words its report for the user.
#include <QMetaType>
#include <QString>
#include <functional>

#include "core/annotation/project.h"

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

}  // namespace xs
