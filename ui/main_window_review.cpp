// MainWindow, the image list's review work: status and tags of the selected images (each change one
// undo step through core/annotation/editing.h), the filter bar, next unfinished, pending candidates.
#include "ui/main_window.h"

#include <QAction>
#include <QStatusBar>

#include "ui/image_browser.h"
#include "ui/image_filter_bar.h"
#include "ui/prompt_session.h"
#include "ui/qt_convert.h"
#include "ui/shown_image.h"

namespace xs {

void MainWindow::wire_review() {
    action("toggleThumbnails")->setChecked(true);
    connect(filter_bar_, &ImageFilterBar::filter_changed, this, [this] { browser_->set_filter(filter_bar_->filter()); });
    connect(filter_bar_, &ImageFilterBar::add_tag, this, [this](const QString& tag) { edit_tag(tag, true); });
    connect(filter_bar_, &ImageFilterBar::remove_tag, this, [this](const QString& tag) { edit_tag(tag, false); });
    connect(browser_, &ImageBrowser::filtered, filter_bar_, &ImageFilterBar::set_count);
    connect(browser_, &ImageBrowser::scan_finished, this, [this] {
        filter_bar_->set_tags(browser_->image_index().tags());
        filter_bar_->set_categories(doc_->project().categories);
    });
    connect(doc_, &Document::reviews_changed, this, [this](const std::vector<ImageKey>& keys) {
        for (const ImageKey& key : keys) browser_->refresh_item(key);
        filter_bar_->set_tags(browser_->image_index().tags());
    });
    connect(doc_, &Document::categories_changed, this, [this] { filter_bar_->set_categories(doc_->project().categories); });
    // Candidates belong to the shown image; they are pending until accepted or rejected.
    connect(session_, &PromptSession::candidates_changed, this, [this] {
        std::set<ImageKey> pending;
        if (!session_->candidates().empty() && shown_->ready()) pending.insert(shown_->key());
        browser_->set_pending(std::move(pending));
    });
}

void MainWindow::set_review_status(ReviewStatus status) {
    const std::vector<ImageKey> keys = browser_->selected_keys();
    const std::optional<ProjectEdit> edit = xs::set_review_status(doc_->project(), keys, status);
    if (!edit) return;
    doc_->edit(*edit, tr("Status: %1").arg(tr(review_status_title(status))));
    statusBar()->showMessage(tr("%1 image(s): %2").arg(edit->reviews.size()).arg(tr(review_status_title(status))), 2500);
}

void MainWindow::edit_tag(const QString& tag, bool add) {
    const std::vector<ImageKey> keys = browser_->selected_keys();
    const std::string text = tag.toStdString();
    const std::optional<ProjectEdit> edit = add ? add_tag(doc_->project(), keys, text) : remove_tag(doc_->project(), keys, text);
    if (!edit) {
        statusBar()->showMessage(add ? tr("Every selected image already has the tag \"%1\"").arg(tag.trimmed())
                                     : tr("No selected image has the tag \"%1\"").arg(tag.trimmed()), 3000);
        return;
    }
    doc_->edit(*edit, (add ? tr("Add tag %1") : tr("Remove tag %1")).arg(tag.trimmed()));
}

void MainWindow::next_unfinished() {
    if (!browser_->next_unfinished()) statusBar()->showMessage(tr("Every listed image is done"), 3000);
}

}  // namespace xs
