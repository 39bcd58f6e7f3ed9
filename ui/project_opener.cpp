#include "ui/project_opener.h"

#include <QDir>
#include <QFileInfo>
#include <QObject>
#include <QStandardPaths>

#include "core/io/project_file.h"

namespace xs {

namespace {

const char* const kProjectFileName = "xsam-project.json";

// Reads `path` into *out (and its version) when it exists; false (with the error) when it cannot be read.
bool read_if_there(const QString& path, Project* out, DiskVersion* version, QString* error) {
    if (!QFileInfo::exists(path)) return true;
    try {
        *out = load_project(path.toStdString(), version);
        return true;
    } catch (const std::exception& e) {
        *error = QString::fromStdString(e.what());
        return false;
    }
}

// An app-data copy newer than the folder's own project, if any; a problem reading the copies is no
// reason not to open the folder.
std::optional<FallbackCopy> newer_fallback(const QString& folder, const QString& project) {
    try {
        return find_newer_fallback(folder.toStdString(), fallback_projects_dir().toStdString(), project.toStdString());
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

QString fallback_projects_dir() { return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/projects"; }

OpenedProject open_folder_project(const QString& folder_in) {
    OpenedProject r;
    const QFileInfo fi(folder_in);
    if (!fi.exists() || !fi.isDir()) {
        r.error = QObject::tr("The folder %1 does not exist.").arg(folder_in);
        return r;
    }
    const QString folder = fi.absoluteFilePath();
    r.path = QDir(folder).filePath(kProjectFileName);
    r.project.image_root = ".";
    QString error;
    if (!read_if_there(r.path, &r.project, &r.version, &error)) {
        r.error = QObject::tr("Could not read the project file %1:\n%2\nThe file was left untouched; fix or move it, then open the folder again.")
                      .arg(r.path, error);
        return r;
    }
    if (!QFileInfo(folder).isWritable()) {
        // Keep the annotations next to the user's other data instead of failing on every save.
        const QString dir = fallback_projects_dir();
        QDir().mkpath(dir);
        const QString fallback = QString::fromStdString(fallback_project_path(dir.toStdString(), folder.toStdString()));
        r.version = DiskVersion{};
        if (!read_if_there(fallback, &r.project, &r.version, &error)) {
            r.error = QObject::tr("Could not read %1: %2").arg(fallback, error);
            return r;
        }
        r.project.image_root = folder.toStdString();
        r.notice = QObject::tr("The folder %1 is read-only, so the project is saved in %2.").arg(folder, fallback);
        r.path = fallback;
    } else {
        r.newer_fallback = newer_fallback(folder, r.path);
    }
    r.ok = true;
    return r;
}

OpenedProject open_project_file(const QString& file) {
    OpenedProject r;
    r.path = file;
    try {
        r.project = load_project(file.toStdString(), &r.version);
        r.ok = true;
    } catch (const std::exception& e) {
        r.error = QObject::tr("Could not open the project: %1").arg(QString::fromStdString(e.what()));
    }
    return r;
}

}  // namespace xs
