#include "ui/import_controller.h"

#include <QFileInfo>
#include <QMessageBox>
#include <QProgressDialog>
#include <atomic>

#include "core/formats/report_text.h"
#include "core/util/error.h"
#include "ui/document.h"
#include "ui/format_dialog.h"

namespace xs {

namespace {

struct ImportOutcome {
    bool ok = false;
    bool cancelled = false;
    QString message;                  // what was added, or why nothing was
    std::shared_ptr<Project> result;  // the project with the import, when ok
};

QProgressDialog* make_progress_dialog(QWidget* window, const QString& format, const QString& path) {
    auto* dlg = new QProgressDialog(QObject::tr("Importing %1 (%2)…").arg(QFileInfo(path).fileName(), format),
                                    QObject::tr("Cancel"), 0, 0, window);  // busy until the total is known
    dlg->setObjectName("importProgress");
    dlg->setWindowTitle(QObject::tr("Import"));
    dlg->setWindowModality(Qt::WindowModal);
    dlg->setMinimumDuration(0);
    dlg->setAutoClose(false);
    dlg->setAutoReset(false);
    dlg->setMinimumWidth(420);
    return dlg;
}

}  // namespace

ImportController::ImportController(Document* doc, QWidget* window) : QObject(window), doc_(doc), window_(window) {}

ImportController::~ImportController() {
    if (!task_) return;
    task_->cancel();
    task_->wait();
}

void ImportController::import_dialog() {
    if (!doc_->is_open()) return;
    FormatDialog dlg(FormatDialog::Mode::Import, doc_->image_root(), window_);
    if (dlg.exec() != QDialog::Accepted) return;
    start_import(QString::fromStdString(dlg.format().info().name), dlg.path(), dlg.settings());
}

bool ImportController::start_import(const QString& format_name, const QString& path, const FormatSettings& settings) {
    if (!doc_->is_open() || task_) return false;
    if (doc_->read_only()) {
        done(false, false, tr("Import refused: %1").arg(doc_->read_only_reason()));
        return false;
    }
    const Format* format = nullptr;
    ImportOptions options;
    try {
        format = &find_format(format_name.toStdString());
        options.settings = checked_settings(format->info().import_options, settings, format->info().name);
    } catch (const std::exception& e) {
        done(false, false, tr("Import refused: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    options.images_dir = doc_->image_root().toStdString();
    // The importer works on a copy of the project at full resolution; the window takes the result
    // only when the import succeeds, so a refused or cancelled one leaves the project as it was.
    auto before = std::make_shared<const Project>(doc_->full_project());
    auto total = std::make_shared<std::atomic<int>>(0);
    QProgressDialog* dlg = make_progress_dialog(window_, format_name, path);
    const std::string in = path.toStdString();
    task_ = run_in_background<ImportOutcome>(
        this,
        [before, format, in, options, total](TaskControl& c) mutable {
            options.progress = [&c, total](int done, int all) {
                total->store(all);
                c.set_progress(done);
                return !c.cancelled();
            };
            ImportOutcome out;
            auto after = std::make_shared<Project>(*before);
            ImportReport report;
            try {
                format->import_into(*after, in, options, report);
            } catch (const Cancelled&) {
                out.cancelled = true;
                return out;
            } catch (const std::exception& e) {
                out.message = QString::fromStdString(e.what());
                return out;
            }
            QStringList lines{QString::fromStdString(import_counts_text(report))};
            for (const std::string& w : report.warnings) lines << QString::fromStdString(w);
            out.ok = true;
            out.message = lines.join('\n');
            out.result = std::move(after);
            return out;
        },
        [this, dlg, before, path, format_name](ImportOutcome r, const TaskControl&) {
            task_.reset();
            dlg->hide();
            dlg->deleteLater();
            if (r.cancelled) return done(false, true, tr("Import cancelled; the project was not changed."));
            if (!r.ok)
                return done(false, false, tr("Import refused: %1\n\nThe project was not changed.").arg(r.message));
            const QString text = tr("Import %1 (%2)").arg(QFileInfo(path).fileName(), format_name);
            if (!doc_->adopt_import(*before, *r.result, text))
                return done(false, false, tr("Import refused: %1").arg(doc_->read_only_reason()));
            done(true, false, tr("Imported %1 (%2): %3").arg(path, format_name, r.message));
        },
        [dlg, total](int done) {
            if (dlg->wasCanceled() || total->load() <= 0) return;
            dlg->setRange(0, total->load());
            dlg->setValue(done);
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

// The outcome in a box (a refusal as a warning naming the file and field), then finished.
void ImportController::done(bool ok, bool cancelled, const QString& message) {
    if (!cancelled) {
        auto* box = new QMessageBox(ok ? QMessageBox::Information : QMessageBox::Warning, tr("Import"), message,
                                    QMessageBox::Ok, window_);
        box->setObjectName(ok ? "importSummary" : "importRefused");
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    Q_EMIT finished(ok, cancelled, message);
}

}  // namespace xs
