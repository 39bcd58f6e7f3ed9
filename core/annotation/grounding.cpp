#include "core/annotation/grounding.h"

#include <algorithm>

namespace xs {

namespace {

const char* const kKindNames[] = {"point", "box", "scribble", "mask"};

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Byte offset of code point `index` (clamped to the text's end).
size_t utf8_offset(const std::string& text, int64_t index) {
    size_t i = 0;
    for (int64_t n = 0; n < index && i < text.size(); ++n) {
        ++i;
        while (i < text.size() && is_continuation_byte(text[i])) ++i;
    }
    return i;
}

}  // namespace

const char* visual_prompt_kind_name(VisualPrompt::Kind kind) { return kKindNames[int(kind)]; }

bool visual_prompt_kind_from_name(const std::string& name, VisualPrompt::Kind& kind) {
    for (int k = 0; k < 4; ++k) {
        if (name == kKindNames[k]) {
            kind = VisualPrompt::Kind(k);
            return true;
        }
    }
    return false;
}

VisualPrompt point_prompt(double x, double y, bool positive) {
    VisualPrompt p;
    p.kind = VisualPrompt::Kind::Point;
    p.positive = positive;
    p.points = {{x, y}};
    return p;
}

VisualPrompt box_prompt(double x0, double y0, double x1, double y1) {
    VisualPrompt p;
    p.kind = VisualPrompt::Kind::Box;
    p.points = {{x0, y0}, {x1, y1}};
    return p;
}

VisualPrompt mask_prompt(Rle mask) {
    VisualPrompt p;
    p.kind = VisualPrompt::Kind::Mask;
    p.raster = std::move(mask);
    return p;
}

int64_t utf8_length(const std::string& text) {
    int64_t n = 0;
    for (char c : text) n += is_continuation_byte(c) ? 0 : 1;
    return n;
}

std::string utf8_substr(const std::string& text, int64_t start, int64_t end) {
    const size_t a = utf8_offset(text, std::max<int64_t>(start, 0));
    const size_t b = utf8_offset(text, std::max(start, end));
    return text.substr(a, b - a);
}

std::string phrase_text(const GroundedCaption& caption, const GroundedPhrase& phrase) {
    return utf8_substr(caption.text, phrase.start, phrase.end);
}

}  // namespace xs
