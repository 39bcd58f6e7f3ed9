#include "ui/image_source.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <algorithm>

#include "core/io/file_stamp.h"
#include "core/io/image_decode.h"
#include "core/util/error.h"
#include "core/util/timer.h"
#include "ui/qt_convert.h"

namespace xs {

namespace {
const QStringList kExtensions = {"jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp", "jp2", "pgm", "ppm", "pbm"};
constexpr int kSmallestLevel = 512;  // stop halving once the image fits in this many pixels
}  // namespace

bool is_image_file_name(const QString& name) {
    return kExtensions.contains(QFileInfo(name).suffix().toLower());
}

QString image_name_filters_text() {
    QStringList f;
    for (const QString& e : kExtensions) f << "*." + e;
    return f.join(' ');
}

namespace {

// Compares runs of digits by value and everything else case-insensitively ("img2" < "img10").
// Written out rather than QCollator::setNumericMode, which does nothing without ICU or in the C locale.
int natural_compare(const QString& a, const QString& b) {
    int i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            int si = i, sj = j;
            while (si < a.size() && a[si] == QLatin1Char('0')) ++si;
            while (sj < b.size() && b[sj] == QLatin1Char('0')) ++sj;
            int ei = si, ej = sj;
            while (ei < a.size() && a[ei].isDigit()) ++ei;
            while (ej < b.size() && b[ej].isDigit()) ++ej;
            if (ei - si != ej - sj) return (ei - si) < (ej - sj) ? -1 : 1;
            int c = QStringView(a).mid(si, ei - si).compare(QStringView(b).mid(sj, ej - sj));
            if (c != 0) return c;
            i = ei;
            j = ej;
            continue;
        }
        QChar ca = a[i].toLower(), cb = b[j].toLower();
        if (ca != cb) return ca < cb ? -1 : 1;
        ++i;
        ++j;
    }
    if (i < a.size()) return 1;
    if (j < b.size()) return -1;
    return 0;
}

}  // namespace

void natural_sort(QStringList& paths) {
    std::sort(paths.begin(), paths.end(), [](const QString& a, const QString& b) {
        int c = natural_compare(a, b);
        return c != 0 ? c < 0 : a < b;
    });
}

QStringList scan_images(const QString& root, const std::atomic<bool>* cancel,
                        const std::function<void(int)>& progress) {
    QStringList found;
    QDir base(root);
    QDirIterator it(root, QDir::Files | QDir::Readable, QDirIterator::Subdirectories | QDirIterator::FollowSymlinks);
    while (it.hasNext()) {
        if (cancel && cancel->load()) break;
        QString path = it.next();
        if (!is_image_file_name(path)) continue;
        found << base.relativeFilePath(path);
        if (progress && found.size() % 200 == 0) progress(int(found.size()));
    }
    natural_sort(found);
    if (progress) progress(int(found.size()));
    return found;
}

QString LoadedImage::size_text() const {
    if (!image) return QString();
    if (!reduced()) return QStringLiteral("%1 x %2").arg(image->width).arg(image->height);
    return QObject::tr("preview %1 x %2 of %3 x %4").arg(image->width).arg(image->height).arg(full_width).arg(full_height);
}

LoadedImage load_for_display(const QString& path) {
    LoadedImage out;
    out.path = path;
    StopWatch watch;
    try {
        const ImageHeader header = read_image_header(path.toStdString());
        const int w = header.width, h = header.height;
        if (int64_t(w) * h > kMaxImagePixels) {
            out.error = QObject::tr("%1 is %2 x %3 pixels (%4 megapixels); images above %5 megapixels are not opened.")
                            .arg(path).arg(w).arg(h).arg(double(w) * h / 1e6, 0, 'f', 0).arg(kMaxImagePixels / 1'000'000);
            return out;
        }
        WorkingImage wi = load_working_image(path.toStdString());
        out.full_width = wi.full_width;
        out.full_height = wi.full_height;
        out.method = QString::fromStdString(wi.method);
        try {
            const FileStamp stamp = file_stamp(path.toStdString());
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
        out.error = QObject::tr("Not enough memory to open %1.").arg(path);
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(e.what());
    }
    out.ms = watch.elapsed_ms();
    return out;
}

}  // namespace xs
