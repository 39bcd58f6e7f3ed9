#include "ui/shown_image.h"

#include <QFileInfo>
#include <QSettings>
#include <QStatusBar>
#include <algorithm>

#include "core/io/folder_scan.h"
#include "ui/annotation_editor.h"
#include "ui/annotation_view.h"
#include "ui/document.h"
#include "ui/engine_controller.h"
#include "ui/image_browser.h"
#include "ui/image_canvas.h"
#include "ui/prompt_session.h"
#include "ui/qt_convert.h"
#include "ui/status_view.h"
#include "ui/widgets.h"

namespace xs {

ShownImage::ShownImage(const Parts& parts, QObject* parent) : QObject(parent), p_(parts) {
    connect(p_.browser, &ImageBrowser::current_changed, this, &ShownImage::changing);
    connect(p_.browser, &ImageBrowser::image_decoded, this, &ShownImage::decoded);
    connect(p_.browser, &ImageBrowser::decode_failed, this, [this](const ImageKey& key, const QString& message) {
        if (key == this->key()) show_failure(message);
    });
    connect(p_.browser, &ImageBrowser::scan_progress, this,
            [this](int found) { p_.status->set_progress_text(tr("Scanning… %1 images").arg(found)); });
    connect(p_.browser, &ImageBrowser::scan_finished, this, &ShownImage::scan_finished);
}

ImageKey ShownImage::key() const { return p_.browser->current_key(); }
const ImageRecord* ShownImage::record() const { return image_ ? p_.editor->record() : nullptr; }

void ShownImage::notify(int level, const QString& text) { p_.notice->notify(level, text); }

void ShownImage::load_folder() {
    image_.reset();
    engine_image_.reset();
    p_.session->set_image(ImageKey(), nullptr);
    p_.editor->set_image(ImageKey());
    p_.engines->worker()->reset_images();  // the same keys may name other files now
    p_.canvas->clear_image(tr("Looking for images in %1…").arg(p_.doc->image_root()));
    p_.annotations->refresh(nullptr);
    p_.bar->clearMessage();
    p_.status->clear_view();
    if (!QFileInfo(p_.doc->image_root()).isDir()) {
        notify(1, tr("The image folder %1 of this project does not exist; the annotations are kept, but images cannot be shown.")
                      .arg(p_.doc->image_root()));
        p_.browser->list_project_images();
        return;
    }
    p_.status->show_progress(tr("Scanning…"), 0, [this] { p_.browser->cancel_scan(); });
    p_.browser->scan();
}

void ShownImage::scan_finished(int images, const QStringList& notes) {
    p_.status->hide_progress();
    if (!notes.isEmpty()) notify(1, notes.join('\n'));
    if (images == 0) {
        const QString msg = tr("No images found in %1.\nLooked in every sub-folder for %2.")
                                .arg(p_.doc->image_root(), qstr(image_file_patterns()));
        p_.canvas->clear_image(msg);
        notify(1, msg);
        return;
    }
    p_.bar->showMessage(tr("%1 images in %2").arg(images).arg(p_.doc->image_root()), 5000);
    const ImageKey last = QSettings().value("files/last_image/" + p_.doc->path()).toByteArray().toStdString();
    p_.browser->show(std::max(0, p_.browser->index_of(last)));
}

void ShownImage::changing(int index) {
    image_.reset();
    engine_image_.reset();
    p_.session->set_image(ImageKey(), nullptr);
    p_.editor->set_image(ImageKey());
    p_.canvas->clear_image(tr("Loading %1…").arg(display_name(key())));
    p_.annotations->refresh(nullptr);
    Q_EMIT changed(index);
}

void ShownImage::decoded(const ImageKey& k, const LoadedImage& loaded) {
    if (k == key()) {
        show(loaded);
    } else if (p_.engines->ready() && k == p_.browser->key(p_.browser->current() + 1)) {
        // Run ahead: the engine prepares the next image while the user works on this one (a prompt
        // on the shown image goes first; the worker queues this behind it).
        p_.engines->worker()->prefetch(engine_key(k), engine_image(loaded.image));
    }
}

void ShownImage::show_failure(const QString& error) {
    const QString name = display_name(key());
    p_.canvas->clear_image(tr("Cannot show %1\n\n%2").arg(name, error));
    notify(2, tr("Cannot open %1: %2").arg(name, error));
}

void ShownImage::show(const LoadedImage& loaded) {
    const ImageKey k = key();
    image_ = loaded.image;
    p_.canvas->set_image(loaded.levels);
    const ImageRecord& rec = p_.doc->ensure_image(k, loaded);  // a reduced preview's record is held at its size
    give_session_the_image();
    p_.editor->set_image(k);
    if (rec.width != image_->width || rec.height != image_->height) {
        notify(1, tr("%1 is now %2 x %3 pixels but was annotated at %4 x %5; its %6 instances are kept in the project but not shown.")
                      .arg(display_name(k)).arg(image_->width).arg(image_->height).arg(rec.width).arg(rec.height).arg(rec.instances.size()));
    } else if (p_.notice->isVisible() && p_.notice->text().startsWith(tr("Cannot open"))) {
        p_.notice->hide();
    }
    p_.annotations->refresh(record());
    p_.browser->refresh_item(k);
    p_.bar->showMessage(tr("%1  ·  %2  ·  decoded in %3 ms").arg(display_name(k), loaded.size_text()).arg(loaded.ms, 0, 'f', 0), 4000);
    prepare_ahead();
}

void ShownImage::prepare_ahead() {
    if (!p_.engines->ready()) return;
    if (engine_image_) p_.engines->worker()->prefetch(engine_key(key()), engine_image_, true);  // the first click answers quickly
    const ImageKey next = p_.browser->key(p_.browser->current() + 1);
    const LoadedImage* loaded = next.empty() ? nullptr : p_.browser->decoded(next);
    if (loaded && loaded->ok()) p_.engines->worker()->prefetch(engine_key(next), engine_image(loaded->image));
}

void ShownImage::set_engine_adjustment(const DisplayAdjustment& adjustment) {
    if (adjustment == engine_adjustment_) return;
    engine_adjustment_ = adjustment;
    if (!image_) return;
    give_session_the_image();
    prepare_ahead();
}

void ShownImage::give_session_the_image() {
    engine_image_ = engine_image(image_);
    p_.session->set_image(engine_key(key()), engine_image_);
}

ImageKey ShownImage::engine_key(const ImageKey& key) const {
    if (engine_adjustment_.is_identity()) return key;
    // A NUL never occurs in a file name, so no image's own key looks like this.
    const DisplayAdjustment& a = engine_adjustment_;
    return key + std::string(1, '\0') + "display " + std::to_string(a.brightness) + " " + std::to_string(a.contrast) + " " +
           std::to_string(a.gamma);
}

std::shared_ptr<const Image> ShownImage::engine_image(const std::shared_ptr<const Image>& image) const {
    if (!image || engine_adjustment_.is_identity()) return image;
    return std::make_shared<const Image>(adjusted_engine_image(*image, engine_adjustment_));
}

}  // namespace xs
