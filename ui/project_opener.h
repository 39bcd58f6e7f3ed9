#pragma once
// Which project file goes with a folder of images, and reading it: <folder>/xsam-project.json, or, for
// a read-only folder, a project kept in the app-data folder (the app says so). Opening never changes
// a file; a file that cannot be read is named in the message and left as it is. A writable folder
// whose app-data copy is newer and holds annotations its project lacks (made while the folder was
// read-only) comes with that copy, for the window to offer back.
#include <QString>
#include <optional>

#include "core/annotation/project.h"
#include "core/io/fallback_project.h"
#include "core/io/file_io.h"

namespace xs {

struct OpenedProject {
    bool ok = false;
    Project project;
    QString path;     // the project file (it may not exist yet)
    DiskVersion version;  // of the bytes read (DiskVersion{}: no file yet)
    std::optional<FallbackCopy> newer_fallback;  // see above
    QString notice;   // e.g. where a read-only folder's project is kept
    QString error;    // when not ok
};

OpenedProject open_folder_project(const QString& folder);
// Where read-only folders' projects are kept: <app data>/projects.
QString fallback_projects_dir();
OpenedProject open_project_file(const QString& file);

}  // namespace xs
