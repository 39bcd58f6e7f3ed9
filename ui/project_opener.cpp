#include "ui/project_opener.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QObject>
#include <QStandardPaths>

#include "core/io/project_file.h"

namespace xs {

namespace {

const char* const kProjectFileName = "xsam-project.json";

// Reads `path` into *out when it exists; false (with the error) when it cannot be read.
bool read_if_there(const QString& path, Project* out, QString* error) {
    if (!QFileInfo::exists(path)) return true;
    try {
        *out = load_project(path.toStdString());
        return true;
    } catch (const std::exception& e) {
        *error = QString::fromStdString(e.what());
        return false;
    }
}

}  // namespace

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
    if (!read_if_there(r.path, &r.project, &error)) {
        r.error = QObject::tr("Could not read the project file %1:\n%2\nThe file was left untouched; fix or move it, then open the folder again.")
                      .arg(r.path, error);
        return r;
    }
    if (!QFileInfo(folder).isWritable()) {
        // Keep the annotations next to the user's other data instead of failing on every save.
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/projects";
        QDir().mkpath(dir);
        const QString fallback = QDir(dir).filePath(fi.fileName() + "-" + QString::number(qHash(folder), 16) + ".json");
        if (!read_if_there(fallback, &r.project, &error)) {
            r.error = QObject::tr("Could not read %1: %2").arg(fallback, error);
            return r;
        }
        r.project.image_root = folder.toStdString();
        r.notice = QObject::tr("The folder %1 is read-only, so the project is saved in %2.").arg(folder, fallback);
        r.path = fallback;
    }
    r.ok = true;
    return r;
}

OpenedProject open_project_file(const QString& file) {
    OpenedProject r;
    r.path = file;
    try {
        r.project = load_project(file.toStdString());
        r.ok = true;
    } catch (const std::exception& e) {
        r.error = QObject::tr("Could not open the project: %1").arg(QString::fromStdString(e.what()));
    }
    return r;
}

}  // namespace xs
