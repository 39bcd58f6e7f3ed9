#pragma once
// Which project file goes with a folder of images, and reading it: <folder>/xsam-project.json, or, for
// a read-only folder, a project kept in the app-data folder (the app says so). Opening never changes
// a file; a file that cannot be read is named in the message and left as it is.
#include <QString>

#include "core/annotation/project.h"

namespace xs {

struct OpenedProject {
    bool ok = false;
    Project project;
    QString path;     // the project file (it may not exist yet)
    QString notice;   // e.g. where a read-only folder's project is kept
    QString error;    // when not ok
};

OpenedProject open_folder_project(const QString& folder);
OpenedProject open_project_file(const QString& file);

}  // namespace xs
