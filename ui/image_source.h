#pragma once
// Finding and decoding images for the GUI. Both run on worker threads (QtConcurrent), never on the
// GUI thread.
#include <QImage>
#include <QString>
#include <QStringList>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "core/io/image.h"

namespace xs {

// Images larger than this are refused with a message instead of exhausting memory.
constexpr int64_t kMaxImagePixels = 250'000'000;

bool is_image_file_name(const QString& name);
QString image_name_filters_text();  // "*.jpg *.png ..." for messages

// Sorts paths the way people expect: "img2" before "img10", case-insensitive.
void natural_sort(QStringList& paths);

// Image files under root (recursive), as '/'-separated paths relative to root, naturally sorted.
// Stops early (returning what it found so far) when *cancel becomes true; reports the count found.
QStringList scan_images(const QString& root, const std::atomic<bool>* cancel,
                        const std::function<void(int found)>& progress = {});

struct LoadedImage {
    QString path;
    std::shared_ptr<const Image> image;  // what the engine sees
    std::vector<QImage> levels;          // display pyramid: full size, then halved copies
    QString error;                       // non-empty when it could not be loaded
    double ms = 0;
    bool ok() const { return error.isEmpty(); }
};

LoadedImage load_for_display(const QString& path);

}  // namespace xs
