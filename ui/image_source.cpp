#include "ui/image_source.h"

#include <QObject>
#include <algorithm>

#include "core/io/file_stamp.h"
#include "core/io/image_decode.h"
#include "core/util/error.h"
#include "core/util/timer.h"
#include "ui/qt_convert.h"

namespace xs {

namespace {
constexpr int kSmallestLevel = 512;  // stop halving once the image fits in this many pixels
}  // namespace

QString LoadedImage::size_text() const {
    if (!image) return QString();
    if (!reduced()) return QStringLiteral("%1 x %2").arg(image->width).arg(image->height);
    return QObject::tr("preview %1 x %2 of %3 x %4").arg(image->width).arg(image->height).arg(full_width).arg(full_height);
}

LoadedImage load_for_display(const std::string& path) {
    LoadedImage out;
    out.path = path;
    StopWatch watch;
    try {
        const ImageHeader header = read_image_header(path);
        const int w = header.width, h = header.height;
        if (int64_t(w) * h > kMaxImagePixels) {
            out.error = QObject::tr("%1 is %2 x %3 pixels (%4 megapixels); images above %5 megapixels are not opened.")
                            .arg(qstr(path)).arg(w).arg(h).arg(double(w) * h / 1e6, 0, 'f', 0).arg(kMaxImagePixels / 1'000'000);
            return out;
        }
        WorkingImage wi = load_working_image(path);
        out.full_width = wi.full_width;
        out.full_height = wi.full_height;
        out.method = QString::fromStdString(wi.method);
        try {
            const FileStamp stamp = file_stamp(path);
            out.file_size = stamp.size;
            out.file_hash = stamp.hash;
        } catch (const Error&) {
        }
        auto image = std::make_shared<Image>(std::move(wi.image));
        out.levels.push_back(to_qimage(*image));
        while (std::max(out.levels.back().width(), out.levels.back().height()) > kSmallestLevel) {
            const QImage& prev = out.levels.back();
            out.levels.push_back(prev.scaled(std::max(1, (prev.width() + 1) / 2), std::max(1, (prev.height() + 1) / 2),
                                             Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
        }
        out.image = std::move(image);
    } catch (const std::bad_alloc&) {
        out.error = QObject::tr("Not enough memory to open %1.").arg(qstr(path));
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(e.what());
    }
    out.ms = watch.elapsed_ms();
    return out;
}

}  // namespace xs
