#include "ui/coco_export.h"

#include <QObject>
#include <QStringList>

#include "core/coco/coco.h"
#include "core/formats/report_text.h"
#include "core/util/error.h"

namespace xs {

CocoExportResult export_coco_file(const Project& project, const QString& path, bool polygons) {
    return export_coco_file(project, path, polygons, nullptr);
}

CocoExportResult export_coco_file(const Project& project, const QString& path, bool polygons,
                                  std::function<bool(int done, int total)> progress) {
    CocoExportResult result;
    CocoExportOptions options;
    options.polygons = polygons;
    options.progress = std::move(progress);
    CocoExportReport report;
    try {
        write_coco(project, path.toStdString(), options, &report);
    } catch (const Cancelled&) {
        result.cancelled = true;
        result.summary = QObject::tr("Export cancelled; nothing was written.");
        return result;
    } catch (const std::exception& e) {
        result.summary = QString::fromStdString(e.what());
        return result;
    }
    result.ok = true;
    QStringList lines;
    lines << QObject::tr("%1 images, %2 annotations, %3 categories.")
                 .arg(report.images).arg(report.annotations).arg(project.categories.size());
    if (polygons)
        lines << QObject::tr("%1 as polygons, %2 as RLE (holes or shapes polygons cannot express exactly).")
                     .arg(report.as_polygons).arg(report.as_rle);
    else
        lines << QObject::tr("All %1 segmentations as RLE.").arg(report.as_rle);
    if (report.skipped) lines << QObject::tr("%1 instances skipped.").arg(report.skipped);
    int shown = 0;
    for (const std::string& w : report.warnings) {
        if (++shown > 8) {
            lines << QObject::tr("… and %1 more warnings.").arg(report.warnings.size() - 8);
            break;
        }
        lines << QString::fromStdString(w);
    }
    result.summary = lines.join('\n');
    return result;
}

CocoExportResult export_in_format(const Project& project, const Format& format, const QString& path,
                                  const ExportOptions& options) {
    CocoExportResult result;
    ExportReport report;
    try {
        format.export_project(project, path.toStdString(), options, report);
    } catch (const Cancelled&) {
        result.cancelled = true;
        result.summary = QObject::tr("Export cancelled; nothing was written.");
        return result;
    } catch (const std::exception& e) {
        result.summary = QString::fromStdString(e.what());
        return result;
    }
    result.ok = true;
    QStringList lines;
    lines << QObject::tr("%1: %2 image(s), %3 instance(s), %4 skipped.")
                 .arg(QString::fromStdString(format.info().name)).arg(report.images).arg(report.instances).arg(report.skipped);
    for (const std::string& w : report.warnings) lines << QString::fromStdString(w);
    lines << QString::fromStdString(loss_report_text(report)).trimmed();
    result.summary = lines.join('\n');
    return result;
}

}  // namespace xs
