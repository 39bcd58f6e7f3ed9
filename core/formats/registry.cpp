// The one list of formats. A new format is one file defining its Format and one line here.
#include <cstdlib>

#include "core/formats/format.h"

namespace xs {

const Format& coco_format();
const Format& yolo_seg_format();
const Format& png_masks_format();
const Format& voc_format();
const Format& labelme_format();
const Format& refcoco_format();
const Format& gcg_format();
const Format& vgd_format();

const std::vector<const Format*>& all_formats() {
    static const std::vector<const Format*> list = {
        &coco_format(),    &yolo_seg_format(), &png_masks_format(), &voc_format(),
        &labelme_format(), &refcoco_format(),  &gcg_format(),       &vgd_format(),
    };
    return list;
}

const Format& find_format(const std::string& name) {
    std::string known;
    for (const Format* f : all_formats()) {
        if (f->info().name == name) return *f;
        known += (known.empty() ? "" : ", ") + f->info().name;
    }
    throw Error("unknown format \"" + name + "\" (known: " + known + ")");
}

FormatSettings checked_settings(const std::vector<FormatOption>& options, const FormatSettings& given,
                                const std::string& format_name) {
    FormatSettings out;
    for (const FormatOption& o : options) out[o.key] = o.default_value;
    for (const auto& [key, value] : given) {
        const FormatOption* option = nullptr;
        for (const FormatOption& o : options) {
            if (o.key == key) option = &o;
        }
        if (!option) throw Error("format " + format_name + " has no option \"" + key + "\"");
        if (option->type == FormatOption::Type::Number) {
            char* end = nullptr;
            std::strtod(value.c_str(), &end);
            if (value.empty() || *end != '\0') throw Error("option " + key + " of " + format_name + ": \"" + value + "\" is not a number");
        }
        out[key] = value;
    }
    return out;
}

}  // namespace xs
