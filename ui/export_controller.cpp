#include "ui/export_controller.h"

#include <QDialog>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QRadioButton>

#include "core/formats/output_folder.h"
#include "core/io/file_io.h"
#include "core/io/output_guard.h"
#include "ui/coco_export.h"
#include "ui/document.h"
#include "ui/format_dialog.h"

namespace xs {

ExportController::ExportController(Document* doc, QWidget* window) : QObject(window), doc_(doc), window_(window) {}

ExportController::~ExportController() {
    if (!task_) return;
    task_->cancel();
    task_->wait();
}

void ExportController::export_dialog() {
    if (!doc_->is_open()) return;
    QDialog dlg(window_);
    dlg.setWindowTitle(tr("Export COCO"));
    auto* form = new QFormLayout(&dlg);
    auto* path_row = new QHBoxLayout;
    auto* path_edit = new QLineEdit(QFileInfo(doc_->path()).absolutePath() + "/annotations.coco.json", &dlg);
    path_edit->setMinimumWidth(380);
    auto* browse = new QPushButton(tr("Browse…"), &dlg);
    path_row->addWidget(path_edit);
    path_row->addWidget(browse);
    form->addRow(tr("File:"), path_row);
    auto* rle = new QRadioButton(tr("RLE (exact, keeps holes)"), &dlg);
    auto* poly = new QRadioButton(tr("Polygons (holes are lost; masks with holes stay RLE)"), &dlg);
    rle->setChecked(true);
    form->addRow(tr("Segmentation:"), rle);
    form->addRow(QString(), poly);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    QString browsed;  // the file dialog has asked about replacing this one already
    connect(browse, &QPushButton::clicked, &dlg, [&] {
        QString f = QFileDialog::getSaveFileName(&dlg, tr("Export COCO"), path_edit->text(), tr("COCO JSON (*.json)"));
        if (f.isEmpty()) return;
        path_edit->setText(f);
        browsed = f;
    });
    // Back to the dialog when the file is refused or the user would rather not replace it.
    while (dlg.exec() == QDialog::Accepted) {
        const QString path = path_edit->text();
        const QString refusal = output_refusal(path);
        if (!refusal.isEmpty()) {
            QMessageBox::warning(window_, tr("Export COCO"), refusal);
            continue;
        }
        if (path != browsed && !confirm_replace(path)) continue;
        start_export(path, poly->isChecked());
        return;
    }
}

std::vector<NamedInput> ExportController::inputs() const {
    std::vector<NamedInput> list{{"project", doc_->path().toStdString()}};
    for (const ImageRecord& rec : doc_->project().images) list.push_back({"image", doc_->image_path(rec.file_name)});
    return list;
}

QString ExportController::output_refusal(const QString& path) const {
    try {
        refuse_output_over_inputs("The export file " + path.toStdString(), path.toStdString(), inputs());
        needs_overwrite_confirmation(path.toStdString());  // throws for a folder or an unreadable file
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return QString();
}

QString ExportController::format_output_refusal(const Format& format, const QString& path) const {
    if (path.trimmed().isEmpty()) return tr("No output was given.");
    if (!format.info().exports_folder) return output_refusal(path);
    const std::string out = path.toStdString();
    try {
        refuse_output_over_inputs("The export folder " + out, out, inputs());
        refuse_folder_over_inputs("The export folder " + out, out, inputs());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    if (QFileInfo(path).exists() && !QFileInfo(path).isDir())
        return tr("%1 is a file; a %2 export writes a folder (nothing was written).")
            .arg(path, QString::fromStdString(format.info().name));
    return QString();
}

bool ExportController::confirm_replace_folder(const QString& path) {
    if (!folder_needs_overwrite_confirmation(path.toStdString())) return true;  // absent, empty, or our own export
    QMessageBox box(QMessageBox::Warning, tr("Replace %1?").arg(QFileInfo(path).fileName()),
                    tr("The folder %1 already holds files this session did not write (an earlier export, or another "
                       "folder: the export refuses anything but an earlier export of the same format).\n\nReplace "
                       "it with the export?").arg(path),
                    QMessageBox::Cancel, window_);
    box.setObjectName("replaceExportQuestion");
    QPushButton* replace = box.addButton(tr("Replace"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);  // Enter keeps the folder
    box.exec();
    return box.clickedButton() == replace;
}

bool ExportController::confirm_replace(const QString& path) {
    if (!needs_overwrite_confirmation(path.toStdString())) return true;  // absent, or our own export
    const QFileInfo fi(path);
    QMessageBox box(QMessageBox::Warning, tr("Replace %1?").arg(fi.fileName()),
                    tr("%1 already exists and was not written by this session (%2 bytes, modified %3): it may have been "
                       "edited by hand or written by another program.\n\nReplace it with the export?")
                        .arg(path).arg(fi.size()).arg(fi.lastModified().toString("yyyy-MM-dd HH:mm:ss")),
                    QMessageBox::Cancel, window_);
    box.setObjectName("replaceExportQuestion");
    QPushButton* replace = box.addButton(tr("Replace"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);  // Enter keeps the file
    box.exec();
    return box.clickedButton() == replace;
}

bool ExportController::export_now(const QString& path, bool polygons, QString* summary) {
    if (!doc_->is_open()) {
        *summary = tr("No project is open.");
        return false;
    }
    if (QString refusal = output_refusal(path); !refusal.isEmpty()) {
        *summary = refusal;
        return false;
    }
    const CocoExportResult result = export_coco_file(doc_->full_project(), path, polygons);
    *summary = result.summary;
    return result.ok;
}

QProgressDialog* ExportController::make_progress_dialog(const QString& title, int total, const QString& path) {
    auto* dlg = new QProgressDialog(tr("Exporting %1 images to %2…").arg(total).arg(QFileInfo(path).fileName()),
                                    tr("Cancel"), 0, std::max(total, 1), window_);
    dlg->setObjectName("exportProgress");
    auto* bar = new QProgressBar(dlg);
    bar->setFormat(tr("%v of %m images (%p%)"));
    bar->setTextVisible(true);
    bar->setAlignment(Qt::AlignCenter);
    dlg->setBar(bar);
    dlg->setRange(0, std::max(total, 1));  // after setBar: the new bar has its own range
    dlg->setWindowTitle(title);
    dlg->setWindowModality(Qt::WindowModal);
    dlg->setMinimumDuration(0);
    dlg->setAutoClose(false);
    dlg->setAutoReset(false);
    dlg->setMinimumWidth(420);
    dlg->setValue(0);
    return dlg;
}

bool ExportController::start_export(const QString& path, bool polygons) {
    if (!doc_->is_open() || task_) return false;
    if (QString refusal = output_refusal(path); !refusal.isEmpty()) {
        Q_EMIT finished(false, false, tr("Export refused: %1").arg(refusal));
        return false;
    }
    // The writer works on a snapshot (at full resolution).
    auto snapshot = std::make_shared<const Project>(doc_->full_project());
    run_export(tr("COCO export"), path, int(snapshot->images.size()), [snapshot, path, polygons](const auto& progress) {
        return export_coco_file(*snapshot, path, polygons, progress);
    });
    return true;
}

void ExportController::export_as_dialog() {
    if (!doc_->is_open()) return;
    FormatDialog dlg(FormatDialog::Mode::Export, QFileInfo(doc_->path()).absolutePath(), window_);
    // Back to the dialog when the output is refused or the user would rather not replace it.
    while (dlg.exec() == QDialog::Accepted) {
        const QString path = dlg.path();
        const QString refusal = format_output_refusal(dlg.format(), path);
        if (!refusal.isEmpty()) {
            QMessageBox::warning(window_, tr("Export as"), refusal);
            continue;
        }
        const bool folder = dlg.format().info().exports_folder;
        if (!(folder ? confirm_replace_folder(path) : confirm_replace(path))) continue;
        start_format_export(QString::fromStdString(dlg.format().info().name), path, dlg.settings());
        return;
    }
}

bool ExportController::start_format_export(const QString& format_name, const QString& path,
                                           const FormatSettings& settings) {
    if (!doc_->is_open() || task_) return false;
    const Format* format = nullptr;
    ExportOptions options;
    QString refusal;
    try {
        format = &find_format(format_name.toStdString());
        options.settings = checked_settings(format->info().export_options, settings, format->info().name);
        refusal = format_output_refusal(*format, path);
    } catch (const std::exception& e) {
        refusal = QString::fromStdString(e.what());
    }
    if (!refusal.isEmpty()) {
        Q_EMIT finished(false, false, tr("Export refused: %1").arg(refusal));
        return false;
    }
    options.images_dir = doc_->image_root().toStdString();
    auto snapshot = std::make_shared<const Project>(doc_->full_project());
    run_export(tr("%1 export").arg(format_name), path, int(snapshot->images.size()),
               [snapshot, format, path, options](const auto& progress) mutable {
                   options.progress = progress;
                   return export_in_format(*snapshot, *format, path, options);
               });
    return true;
}

// Cancel makes the writer stop at the next image and write nothing.
void ExportController::run_export(const QString& title, const QString& path, int total, Work work) {
    QProgressDialog* dlg = make_progress_dialog(title, total, path);
    dialog_ = dlg;
    task_ = run_in_background<CocoExportResult>(
        this,
        [work](TaskControl& c) {
            return work([&c](int done, int) {
                c.set_progress(done);
                return !c.cancelled();
            });
        },
        [this, dlg, path, title](CocoExportResult r, const TaskControl&) {
            task_.reset();
            dialog_ = nullptr;
            dlg->hide();
            dlg->deleteLater();
            QString message;
            if (r.cancelled) {
                message = tr("Export cancelled; nothing was written.");
            } else if (r.ok) {
                message = tr("Wrote %1\n\n%2").arg(path, r.summary);
                show_summary(title, message);
            } else {
                message = tr("Export failed: %1").arg(r.summary);
            }
            Q_EMIT finished(r.ok, r.cancelled, message);
        },
        [dlg](int done) {
            if (!dlg->wasCanceled()) dlg->setValue(done);
        },
        50);
    std::shared_ptr<TaskControl> task = task_;
    connect(dlg, &QProgressDialog::canceled, this, [dlg, task] {
        task->cancel();
        dlg->setLabelText(tr("Cancelling…"));
    });
    dlg->show();
}

// A long loss report is cut in the box; all of it is under Details.
void ExportController::show_summary(const QString& title, const QString& message) {
    constexpr int kShownLines = 24;
    const QStringList lines = message.split('\n');
    auto* box = new QMessageBox(QMessageBox::Information, title,
                                lines.size() <= kShownLines ? message
                                                            : lines.mid(0, kShownLines).join('\n') +
                                                                  tr("\n… %1 more lines under Details.").arg(lines.size() - kShownLines),
                                QMessageBox::Ok, window_);
    box->setObjectName("exportSummary");
    if (lines.size() > kShownLines) box->setDetailedText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();  // not exec(): nothing waits on it
}

}  // namespace xs
