#include "core/formats/label_images.h"

#include <map>

#include "core/io/file_io.h"

namespace xs {

PaintedImage paint_instances(const ImageRecord& image, const std::vector<const Instance*>& instances,
                             const CategoryTable& categories, int max_instances, LossTally& tally) {
    PaintedImage p;
    p.width = image.width;
    p.height = image.height;
    const size_t n = size_t(image.width) * size_t(image.height);
    p.instance.assign(n, 0);
    p.cls.assign(n, 0);
    for (const Instance* inst : instances) {
        if (int(p.painted.size()) >= max_instances) {
            tally.given_back(rle_decode(inst->mask), Mask(image.width, image.height),
                             "instances over the format's limit of " + std::to_string(max_instances) + " per image");
            continue;
        }
        p.painted.push_back(inst);
        const uint16_t number = uint16_t(p.painted.size());
        const uint16_t cls = uint16_t(categories.index(inst->category_id) + 1);
        const Mask m = rle_decode(inst->mask);
        for (int y = 0; y < p.height; ++y)
            for (int x = 0; x < p.width; ++x) {
                if (!m.at(x, y)) continue;
                p.instance[size_t(y) * p.width + x] = number;
                p.cls[size_t(y) * p.width + x] = cls;
            }
    }
    // What each instance keeps once the later ones are drawn over it.
    std::vector<Mask> kept(p.painted.size(), Mask(p.width, p.height));
    for (int y = 0; y < p.height; ++y)
        for (int x = 0; x < p.width; ++x) {
            const uint16_t v = p.instance[size_t(y) * p.width + x];
            if (v) kept[v - 1].set(x, y, true);
        }
    for (size_t i = 0; i < p.painted.size(); ++i) {
        const Mask original = rle_decode(p.painted[i]->mask);
        if (kept[i] == original) continue;
        tally.given_back(original, kept[i],
                         kept[i].any() ? "instances partly hidden by later ones" : "instances hidden entirely by later ones");
    }
    return p;
}

Rgb voc_color(int index) {
    int r = 0, g = 0, b = 0;
    for (int bit = 7, c = index; c > 0; --bit, c >>= 3) {
        r |= ((c >> 0) & 1) << bit;
        g |= ((c >> 1) & 1) << bit;
        b |= ((c >> 2) & 1) << bit;
    }
    return Rgb{uint8_t(r), uint8_t(g), uint8_t(b)};
}

PngValues read_label_png(const std::string& path) { return png_decode_values(read_whole_file(path, "label image"), path); }

std::vector<ReadInstance> read_instances(const PngValues& ids, const std::string& ids_path, const PngValues& classes,
                                         const std::string& classes_path, uint32_t void_value) {
    if (ids.kind == PngValues::Kind::Rgb) throw Error(ids_path + ": an RGB image; instance numbers are read from grey or palette PNGs");
    if (classes.kind == PngValues::Kind::Rgb)
        throw Error(classes_path + ": an RGB image; class indices are read from grey or palette PNGs");
    if (ids.width != classes.width || ids.height != classes.height)
        throw Error(classes_path + ": " + std::to_string(classes.width) + "x" + std::to_string(classes.height) + ", but " +
                    ids_path + " is " + std::to_string(ids.width) + "x" + std::to_string(ids.height));
    std::map<uint32_t, ReadInstance> found;  // by number
    for (int y = 0; y < ids.height; ++y)
        for (int x = 0; x < ids.width; ++x) {
            const size_t i = size_t(y) * ids.width + x;
            const uint32_t v = ids.values[i];
            if (v == 0 || v == void_value) continue;
            ReadInstance& r = found[v];
            if (r.number == 0) {
                r.number = int(v);
                r.class_index = -1;
                r.mask = Mask(ids.width, ids.height);
            }
            r.mask.set(x, y, true);
            const uint32_t c = classes.values[i];
            if (c == void_value) continue;
            const std::string at = " at (" + std::to_string(x) + ", " + std::to_string(y) + ")";
            if (c == 0)
                throw Error(classes_path + ": background" + at + " under instance " + std::to_string(v) + " of " + ids_path);
            if (r.class_index >= 0 && uint32_t(r.class_index) != c)
                throw Error(classes_path + ": instance " + std::to_string(v) + " of " + ids_path + " has class " +
                            std::to_string(r.class_index) + " and class " + std::to_string(c) + at);
            r.class_index = int(c);
        }
    std::vector<ReadInstance> out;
    for (auto& [v, r] : found) {
        if (r.class_index < 0)
            throw Error(classes_path + ": instance " + std::to_string(v) + " of " + ids_path + " lies on void pixels only");
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace xs
