#pragma once
// Decoding images for display and for the engine. Runs on worker threads (ui/background_task.h),
// never on the GUI thread. (Which files are images: core/io/folder_scan.h.)
#include <QImage>
#include <QString>
#include <memory>
#include <string>
#include <vector>

#include "core/io/image.h"

namespace xs {

// Images larger than this are refused with a message. Anything below opens: images over the working
// bounds (core/io/image_decode.h: kWorkingMaxSide, kWorkingMaxPixels) open as a bounded preview.
constexpr int64_t kMaxImagePixels = 4'000'000'000;

struct LoadedImage {
    std::string path;                    // the file system's bytes
    std::shared_ptr<const Image> image;  // what the engine sees: the working image (maybe a preview)
    std::vector<QImage> levels;          // display pyramid: working size, then halved copies
    QString error;                       // non-empty when it could not be loaded
    double ms = 0;
    int full_width = 0;                  // the image's full (displayed) resolution; the project
    int full_height = 0;                 // stores masks at this size
    int64_t file_size = -1;              // fingerprint of the file (core/io/file_stamp.h)
    std::string file_hash;
    QString method;                      // how it was decoded (image_decode.h WorkingImage::method)
    bool ok() const { return error.isEmpty(); }
    bool reduced() const { return image && (image->width != full_width || image->height != full_height); }
    // "640 x 480", or "preview 6324 x 6324 of 20000 x 20000" for a bounded preview.
    QString size_text() const;
};

LoadedImage load_for_display(const std::string& path);

}  // namespace xs
