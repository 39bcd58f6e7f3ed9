#pragma once
// The image on the canvas. When the browser's current image changes, everything that shows or works
// on the previous one lets go (canvas, prompt session, editor, annotation view); when it is decoded,
// its record is made (or mapped to its working resolution), everything takes it up, and the engine
// is asked to prepare it, and the next image ahead. Also the folder scan's start and end.
#include <QObject>
#include <memory>

#include "core/annotation/project.h"
#include "core/io/image.h"
#include "ui/display_adjustment.h"
#include "ui/image_source.h"

class QStatusBar;

namespace xs {

class AnnotationEditor;
class AnnotationView;
class Document;
class EngineController;
class ImageBrowser;
class ImageCanvas;
class NoticeBar;
class PromptSession;
class StatusView;

class ShownImage : public QObject {
    Q_OBJECT
public:
    struct Parts {
        Document* doc;
        ImageBrowser* browser;
        EngineController* engines;
        PromptSession* session;
        AnnotationEditor* editor;
        AnnotationView* annotations;
        ImageCanvas* canvas;
        NoticeBar* notice;
        StatusView* status;
        QStatusBar* bar;
    };
    ShownImage(const Parts& parts, QObject* parent);

    // A project was opened: its image folder is scanned (or, when missing, its own images listed).
    void load_folder();
    bool ready() const { return image_ != nullptr; }
    const ImageRecord* record() const;  // nullptr until the image is shown
    ImageKey key() const;
    // The engine (newly ready) prepares the shown image and the next one.
    void prepare_ahead();
    // What the engine is given from now on: the images with this adjustment (identity: the decoded
    // pixels). The prompts on the shown image start again.
    void set_engine_adjustment(const DisplayAdjustment& adjustment);

Q_SIGNALS:
    void changed(int index);  // another image is current (it shows when decoded)

private:
    void scan_finished(int images, const QStringList& notes);
    void changing(int index);
    void decoded(const ImageKey& key, const LoadedImage& loaded);
    void show(const LoadedImage& loaded);
    void show_failure(const QString& error);
    // The engine's name and pixels for an image: adjusted ones under their own name, so the
    // engine's cache never answers for the other version.
    ImageKey engine_key(const ImageKey& key) const;
    std::shared_ptr<const Image> engine_image(const std::shared_ptr<const Image>& image) const;
    void give_session_the_image();
    void notify(int level, const QString& text);

    Parts p_;
    std::shared_ptr<const Image> image_;         // the shown image as decoded
    DisplayAdjustment engine_adjustment_;        // identity unless "Apply to what the engine sees"
    std::shared_ptr<const Image> engine_image_;  // the shown image as the engine sees it
};

}  // namespace xs
