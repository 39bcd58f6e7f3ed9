#include "core/engine/provenance.h"

#include <algorithm>
#include <cctype>

#include "core/util/utf8.h"

namespace xs {

namespace {

const char kPhraseOpen[] = "<p>";
const char kPhraseClose[] = "</p>";
const char kSegMark[] = "<SEG>";

std::string without(std::string text, const std::string& mark) {
    for (size_t at; (at = text.find(mark)) != std::string::npos;) text.erase(at, mark.size());
    return text;
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
// A letter or digit, taking every non-ASCII character as one (words in other scripts).
bool starts_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }

// Appends text with whitespace runs collapsed to one space and no space at the very start.
void append_collapsed(std::string& out, const std::string& text) {
    for (char c : text) {
        if (is_space(c)) {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
}

std::string trimmed(const std::string& s) {
    size_t a = 0, b = s.size();
    while (a < b && is_space(s[a])) ++a;
    while (b > a && is_space(s[b - 1])) --b;
    return s.substr(a, b - a);
}

}  // namespace

InstancePrompt prompt_record(const SegmentRequest& request) {
    InstancePrompt p;
    p.task = task_name(request.task);
    if (request.task == Task::Generic || request.task == Task::OpenVocabulary) {
        for (const std::string& c : request.categories) p.text += (p.text.empty() ? "" : ", ") + c;
    } else {
        p.text = request.text;
    }
    p.text = utf8_display(p.text);
    for (const PointPrompt& pt : request.points) p.visual.push_back(point_prompt(pt.x, pt.y, pt.positive));
    for (const BoxPrompt& b : request.boxes) p.visual.push_back(box_prompt(b.x0, b.y0, b.x1, b.y1));
    for (const ScribblePrompt& s : request.scribbles) {
        VisualPrompt v;
        v.kind = VisualPrompt::Kind::Scribble;
        v.positive = s.positive;
        v.radius = s.radius;
        for (const PointF& q : s.points) v.points.push_back({q.x, q.y});
        p.visual.push_back(std::move(v));
    }
    for (const Mask& m : request.mask_prompts) p.visual.push_back(mask_prompt(rle_encode(m)));
    return p;
}

void record_prompt(Instance& inst, const SegmentRequest& request) {
    inst.prompt = prompt_record(request);
    const std::string& sentence = inst.prompt.text;
    if (request.task == Task::Referring && !sentence.empty() &&
        std::find(inst.referring.begin(), inst.referring.end(), sentence) == inst.referring.end())
        inst.referring.push_back(sentence);
}

GroundedCaption parse_grounded_caption(const std::string& marked_text) {
    const std::string text = utf8_display(marked_text);
    GroundedCaption c;
    size_t pos = 0;
    bool after_phrase = false;
    for (;;) {
        const size_t a = text.find(kPhraseOpen, pos);
        const size_t b = a == std::string::npos ? a : text.find(kPhraseClose, a + 3);
        std::string part = without(text.substr(pos, (b == std::string::npos ? text.size() : a) - pos), kSegMark);
        // The model writes no space after a phrase ("</p>beside"); put one back before a word.
        if (after_phrase && !part.empty() && starts_word(part[0])) part = " " + part;
        append_collapsed(c.text, part);
        if (b == std::string::npos) break;
        const std::string phrase = trimmed(without(text.substr(a + 3, b - a - 3), kSegMark));
        if (!phrase.empty()) {
            GroundedPhrase ph;
            ph.start = utf8_length(c.text);
            append_collapsed(c.text, phrase);
            ph.end = utf8_length(c.text);
            c.phrases.push_back(ph);
        }
        pos = b + 4;
        after_phrase = true;
    }
    while (!c.text.empty() && c.text.back() == ' ') c.text.pop_back();  // never inside a phrase: phrases are trimmed
    return c;
}

GroundedCaption caption_record(const SegmentResult& result, const std::vector<int64_t>& instance_ids,
                               const std::string& source) {
    GroundedCaption c = parse_grounded_caption(result.text);
    for (size_t k = 0; k < result.instances.size() && k < instance_ids.size(); ++k) {
        const int i = result.instances[k].prompt_index;
        if (instance_ids[k] != 0 && i >= 0 && i < int(c.phrases.size())) c.phrases[size_t(i)].instance_ids.push_back(instance_ids[k]);
    }
    c.source = source;
    c.created_ms = now_ms();
    return c;
}

FindAllEpisode episode_record(const SegmentRequest& request, int64_t example_instance_id, const std::string& source) {
    FindAllEpisode e;
    e.example_instance_id = example_instance_id;
    if (example_instance_id == 0) e.example = prompt_record(request).visual;
    e.source = source;
    e.created_ms = now_ms();
    return e;
}

RejectedCandidate rejected_candidate(const InstanceResult& candidate) {
    return RejectedCandidate{rle_encode(candidate.mask), std::clamp(candidate.score, 0.f, 1.f)};
}

}  // namespace xs
