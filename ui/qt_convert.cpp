#include "ui/qt_convert.h"

#include <QRect>

namespace xs {

QImage to_qimage(const Image& image) {
    QImage out(image.width, image.height, QImage::Format_RGB32);
    for (int y = 0; y < image.height; ++y) {
        const uint8_t* src = image.rgb.data() + size_t(y) * image.width * 3;
        QRgb* dst = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < image.width; ++x) {
            dst[x] = qRgb(src[0], src[1], src[2]);
            src += 3;
        }
    }
    return out;
}

bool rle_contains(const Rle& rle, int x, int y) {
    if (x < 0 || y < 0 || x >= rle.width || y >= rle.height) return false;
    // Counts run over the column-major index, starting with a run of zeros.
    uint64_t index = uint64_t(x) * rle.height + y;
    uint64_t pos = 0;
    for (size_t i = 0; i < rle.counts.size(); ++i) {
        pos += rle.counts[i];
        if (index < pos) return (i % 2) == 1;
    }
    return false;
}

QRect rle_rect(const Rle& rle) {
    BBox b = rle_bbox(rle);
    if (b.empty()) return QRect();
    return QRect(b.x, b.y, b.w, b.h);
}

}  // namespace xs
