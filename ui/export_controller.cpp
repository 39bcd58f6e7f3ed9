#include "ui/export_controller.h"

#include <QDialog>
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

#include "ui/coco_export.h"
#include "ui/document.h"

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
    connect(browse, &QPushButton::clicked, &dlg, [&] {
        QString f = QFileDialog::getSaveFileName(&dlg, tr("Export COCO"), path_edit->text(), tr("COCO JSON (*.json)"));
        if (!f.isEmpty()) path_edit->setText(f);
    });
    if (dlg.exec() != QDialog::Accepted) return;
    start_export(path_edit->text(), poly->isChecked());
}

bool ExportController::export_now(const QString& path, bool polygons, QString* summary) {
    if (!doc_->is_open()) {
        *summary = tr("No project is open.");
        return false;
    }
    const CocoExportResult result = export_coco_file(doc_->full_project(), path, polygons);
    *summary = result.summary;
    return result.ok;
}

QProgressDialog* ExportController::make_progress_dialog(int total, const QString& path) {
    auto* dlg = new QProgressDialog(tr("Exporting %1 images to %2…").arg(total).arg(QFileInfo(path).fileName()),
                                    tr("Cancel"), 0, std::max(total, 1), window_);
    dlg->setObjectName("exportProgress");
    auto* bar = new QProgressBar(dlg);
    bar->setFormat(tr("%v of %m images (%p%)"));
    bar->setTextVisible(true);
    bar->setAlignment(Qt::AlignCenter);
    dlg->setBar(bar);
    dlg->setRange(0, std::max(total, 1));  // after setBar: the new bar has its own range
    dlg->setWindowTitle(tr("COCO export"));
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
    // The writer works on a snapshot (at full resolution); Cancel makes it stop at the next image and
    // write nothing.
    auto snapshot = std::make_shared<const Project>(doc_->full_project());
    QProgressDialog* dlg = make_progress_dialog(int(snapshot->images.size()), path);
    dialog_ = dlg;
    task_ = run_in_background<CocoExportResult>(
        this,
        [snapshot, path, polygons](TaskControl& c) {
            return export_coco_file(*snapshot, path, polygons, [&c](int done, int) {
                c.set_progress(done);
                return !c.cancelled();
            });
        },
        [this, dlg, path](CocoExportResult r, const TaskControl&) {
            task_.reset();
            dialog_ = nullptr;
            dlg->hide();
            dlg->deleteLater();
            QString message;
            if (r.cancelled) {
                message = tr("Export cancelled; nothing was written.");
            } else if (r.ok) {
                message = tr("Wrote %1\n\n%2").arg(path, r.summary);
                auto* box = new QMessageBox(QMessageBox::Information, tr("COCO export"), message, QMessageBox::Ok, window_);
                box->setAttribute(Qt::WA_DeleteOnClose);
                box->open();  // not exec(): nothing waits on it
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
    return true;
}

}  // namespace xs
