// MainWindow, the project's life: opening a folder or project file (the lock, the read-only case, the
// app-data copy offered back), Save As, a project changed on disk by another program, and closing.
#include "ui/main_window.h"

#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>

#include "ui/annotation_editor.h"
#include "ui/image_browser.h"
#include "ui/panels.h"
#include "ui/project_opener.h"
#include "ui/shown_image.h"
#include "ui/widgets.h"

namespace xs {

bool MainWindow::open_folder(const QString& folder) { return open_document(open_folder_project(folder)); }

bool MainWindow::open_project(const QString& project_file) { return open_document(open_project_file(project_file)); }

bool MainWindow::open_document(OpenedProject opened) {
    if (!opened.ok) {
        notify(2, opened.error);
        return false;
    }
    doc_->open(std::move(opened.project), opened.path, opened.version);
    notice_->hide();
    if (!opened.notice.isEmpty()) notify(1, opened.notice);
    if (!doc_->stale_lock().isEmpty())
        notify(0, tr("%1 was left locked by %2, which has ended; it is open for writing here now.").arg(doc_->path(), doc_->stale_lock()));
    if (doc_->read_only()) notify(1, doc_->read_only_reason());
    else if (opened.newer_fallback) offer_fallback(*opened.newer_fallback);
    categories_->set_categories(doc_->project().categories);
    shown_->load_folder();
    update_window_title();
    return true;
}

// Annotations made while the folder was read-only live in the app-data copy: offer them back.
void MainWindow::offer_fallback(const FallbackCopy& copy) {
    const QString copy_path = QString::fromStdString(copy.path);
    auto restore = [this, copy_path](RestoreMode mode) {
        const QString folder = doc_->image_root();
        const QString project = doc_->path();
        doc_->flush();
        try {
            const RestoreResult r = restore_fallback(project.toStdString(), copy_path.toStdString(), mode);
            open_folder(folder);  // the project as restored (the copy stays where it is)
            notify(0, mode == RestoreMode::Merge
                          ? tr("Merged the annotations of %1 into the project (%2 instance(s) added or updated). The copy stays where it was.")
                                .arg(copy_path).arg(r.merged.instances_added + r.merged.instances_updated)
                          : tr("The project is now the copy %1; the previous project is kept in %2.")
                                .arg(copy_path, r.replaced_copy.empty() ? tr("(there was none)") : QString::fromStdString(r.replaced_copy)));
        } catch (const std::exception& e) {
            notify(2, tr("Could not bring back %1: %2\nNothing was changed.").arg(copy_path, QString::fromStdString(e.what())));
        }
    };
    notice_->show_notice(NoticeBar::Level::Warning,
                         tr("Annotations made while this folder was read-only are kept in %1. Bring them back?")
                             .arg(QString::fromStdString(copy.describe())),
                         {{tr("Merge"), [restore] { restore(RestoreMode::Merge); }},
                          {tr("Replace"), [restore] { restore(RestoreMode::Replace); }},
                          {tr("Not now"), [this] { notice_->hide(); }}});
}

void MainWindow::open_folder_dialog() {
    QSettings s;
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a folder of images"), s.value("files/last_folder").toString());
    if (dir.isEmpty()) return;
    s.setValue("files/last_folder", dir);
    open_folder(dir);
}

void MainWindow::open_project_dialog() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Open a project"), QSettings().value("files/last_folder").toString(),
                                                      tr("X-SAM Studio projects (*.json)"));
    if (!file.isEmpty()) open_project(file);
}

void MainWindow::save_project_as_dialog() {
    if (!doc_->is_open()) return;
    const QString file = QFileDialog::getSaveFileName(this, tr("Save project as"), doc_->path(), tr("X-SAM Studio projects (*.json)"));
    if (file.isEmpty()) return;
    doc_->save_as(file);
    if (doc_->last_save_error().isEmpty()) notify(0, tr("The project is now saved in %1.").arg(file));
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (canvas_->tool_name() == "editVertices") canvas_->finish_tool();  // leaving applies, closing too
    save_settings();
    doc_->flush();
    if (!doc_->last_save_error().isEmpty()) {
        const auto answer = QMessageBox::warning(
            this, tr("Unsaved changes"),
            tr("The project could not be saved:\n%1\n\nQuit anyway and lose the changes since the last save?").arg(doc_->last_save_error()),
            QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Discard) return e->ignore();
    }
    if (doc_->in_conflict()) {
        const auto answer = QMessageBox::warning(
            this, tr("Two versions of the project"),
            tr("The project file %1 was changed by another program, and you have not chosen a version yet.\n\n"
               "Your version is kept in %2 and theirs in the project file; quitting keeps both.\n\nQuit anyway?")
                .arg(doc_->path(), doc_->mine_copy()),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes) return e->ignore();
    }
    e->accept();
}

void MainWindow::on_save_failed(const QString& message) {
    notice_->show_notice(NoticeBar::Level::Error,
                         tr("Cannot save the project: %1\nYour work is kept in memory; choose another place to save it.").arg(message),
                         {{tr("Save Project As…"), [this] { save_project_as_dialog(); }}});
}

// The conflict stays until the user picks a version; meanwhile autosave keeps ours in the side copy.
void MainWindow::on_changed_on_disk(const QString& problem) {
    auto take_theirs = [this] {
        // A vertex edit still open belongs to our version: applied now, it goes into our copy
        // (the image shown again on theirs would apply it there).
        if (canvas_->tool_name() == "editVertices") canvas_->finish_tool();
        const int index = browser_->current();
        QString error;
        const QString mine = doc_->take_theirs(&error);
        if (mine.isEmpty()) return on_changed_on_disk(error);
        notice_->hide();
        categories_->set_categories(doc_->project().categories);
        browser_->refresh_all();
        if (index >= 0) show_image(index);
        notify(0, tr("Took the other version. Yours is kept in %1.").arg(mine));
    };
    auto overwrite = [this] {
        QString error;
        const QString theirs = doc_->overwrite_theirs(&error);
        if (!error.isEmpty()) return on_changed_on_disk(error);
        notify(0, theirs.isEmpty() ? tr("Wrote your version (the other program had removed the file).")
                                   : tr("Wrote your version over theirs; theirs is kept in %1.").arg(theirs));
    };
    const QString text = !problem.isEmpty()
                             ? problem + "\n" + tr("The project file was changed by another program; choose again.")
                             : tr("The project file %1 was changed by another program. Autosave no longer writes it: "
                                  "your version is kept in %2 until you choose.")
                                   .arg(doc_->path(), doc_->mine_copy());
    notice_->show_notice(NoticeBar::Level::Warning, text,
                         {{tr("Take theirs (keep mine as a copy)"), take_theirs}, {tr("Overwrite theirs with mine"), overwrite}});
}

}  // namespace xs
