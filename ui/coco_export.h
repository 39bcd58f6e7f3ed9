#pragma once
// COCO export for the GUI: runs the core writer and words its report for the user.
#include <QMetaType>
#include <QString>

#include "core/annotation/project.h"

namespace xs {

struct CocoExportResult {
    bool ok = false;
    QString summary;  // what was written, or why nothing was
};

// Safe to call on a worker thread (it only reads the given project).
CocoExportResult export_coco_file(const Project& project, const QString& path, bool polygons);

}  // namespace xs
