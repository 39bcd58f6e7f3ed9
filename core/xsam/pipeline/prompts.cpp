#include "core/xsam/pipeline/prompts.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/util/error.h"

namespace xs::xsam {

// ---- text -----------------------------------------------------------------------------------------

namespace {

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
}

std::string phrase(const std::string& text) { return std::string(kPhraseStart) + text + kPhraseEnd; }

void reject_special(const std::string& text, const std::string& what) {
    for (const char* tok : {kImageToken, kRegionToken, kSegToken, kPhraseStart, kPhraseEnd, "<|"}) {
        if (text.find(tok) != std::string::npos)
            throw Error(what + " must not contain the special token '" + std::string(tok) + "'");
    }
}

}  // namespace

std::string clean_category(const std::string& name) {
    std::string s = name;
    replace_all(s, "-merged", "");
    replace_all(s, "-other", "");
    replace_all(s, "-stuff", "");
    replace_all(s, "-", " ");
    return trim(lower(s));
}

Question referring_question(const std::string& expression) {
    reject_special(expression, "the referring expression");
    const std::string e = lower(trim(expression));
    if (e.empty()) throw Error("the referring expression is empty");
    Question q;
    q.question = "Can you segment " + phrase(e) + " in this image? Please generate the segmentation mask.";
    q.answer = std::string("It is ") + kSegToken + ".";
    q.num_phrases = 1;
    return q;
}

Question reasoning_question(const std::string& question) {
    const std::string t = trim(question);
    if (t.empty()) throw Error("the reasoning question is empty");
    reject_special(t, "the reasoning question");
    Question q;
    q.question = phrase(t) + " Please output the corresponding segmentation mask.";
    q.answer = std::string(kSegToken) + ".";
    q.num_phrases = 1;
    return q;
}

Question categories_question(const std::vector<std::string>& categories) {
    if (categories.empty()) throw Error("the category list is empty");
    std::string list;
    for (size_t i = 0; i < categories.size(); ++i) {
        reject_special(categories[i], "category '" + categories[i] + "'");
        const std::string c = clean_category(categories[i]);
        if (c.empty()) throw Error("category " + std::to_string(i + 1) + " is empty");
        if (!list.empty()) list += ", ";
        list += phrase(c);
    }
    Question q;
    q.question = "Can you segment the image based on the following categories: " + list +
                 "? Please output the segmentation masks.";
    q.answer = std::string("Sure, it is ") + kSegToken + ".";
    q.num_phrases = int(categories.size());
    return q;
}

Question regions_question(int num_regions) {
    if (num_regions <= 0) throw Error("a region question needs at least one visual prompt");
    std::string list;
    for (int i = 0; i < num_regions; ++i) {
        if (!list.empty()) list += ", ";
        list += phrase(kRegionToken);
    }
    Question q;
    q.question = "Can you segment the image based on the following regions: " + list +
                 "? Please output the corresponding segmentation mask.";
    q.answer = std::string("Sure, ") + kSegToken + ".";
    q.num_regions = num_regions;
    q.num_phrases = num_regions;
    return q;
}

Question caption_question() {
    Question q;
    q.question =
        "Can you provide a brief description of the this image? Please output interleaved segmentation masks for "
        "the corresponding phrases.";
    return q;
}

Question chat_question(const std::string& text) {
    std::string t = text;
    replace_all(t, kImageToken, "");
    t = trim(t);
    if (t.empty()) throw Error("the chat question is empty");
    if (t.find(kRegionToken) != std::string::npos)
        throw Error("the chat question must not contain '<region>': a chat has no visual prompt");
    Question q;
    q.question = t;
    return q;
}

std::vector<Piece> prefix_pieces() {
    return {Piece{Piece::Bos, ""}, Piece{Piece::Text, "<|user|>\n"}, Piece{Piece::Image, ""}};
}

std::vector<Piece> question_pieces(const Question& q, bool with_answer) {
    std::vector<Piece> out;
    const std::string text = "\n" + q.question + kEndToken + "\n<|assistant|>\n";
    size_t start = 0;
    const std::string region = kRegionToken;
    while (true) {
        size_t pos = text.find(region, start);
        std::string chunk = text.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
        if (!chunk.empty()) out.push_back(Piece{Piece::Text, chunk});
        if (pos == std::string::npos) break;
        out.push_back(Piece{Piece::Region, ""});
        start = pos + region.size();
    }
    if (with_answer) {
        out.push_back(Piece{Piece::Text, q.answer + kEndToken});
        out.push_back(Piece{Piece::Text, "\n"});
    }
    return out;
}

Marks find_marks(const std::vector<int64_t>& ids, int64_t pstart, int64_t pend, int64_t seg, size_t limit) {
    Marks m;
    std::vector<int64_t> starts, ends;
    for (size_t i = 0; i < std::min(limit, ids.size()); ++i) {
        if (ids[i] == pstart) starts.push_back(int64_t(i));
        if (ids[i] == pend) ends.push_back(int64_t(i));
        if (ids[i] == seg) m.segs.push_back(int64_t(i));
    }
    for (size_t i = 0; i < std::min(starts.size(), ends.size()); ++i)
        if (ends[i] >= starts[i]) m.phrases.emplace_back(starts[i], ends[i]);
    return m;
}

torch::Tensor phrase_embeddings(const torch::Tensor& proj, const Marks& marks, int64_t offset) {
    if (marks.phrases.empty()) throw Error("X-SAM: no <p>...</p> phrase to embed");
    std::vector<torch::Tensor> rows;
    for (auto [a, b] : marks.phrases) rows.push_back(proj.narrow(0, offset + a, b - a + 1).mean(0));
    return torch::stack(rows);
}

std::vector<int64_t> encode_pieces(const Tokenizer& tokenizer, const std::vector<Piece>& pieces) {
    std::vector<int64_t> ids;
    for (const Piece& p : pieces) {
        switch (p.kind) {
            case Piece::Bos: ids.push_back(tokenizer.bos_id()); break;
            case Piece::Image: ids.push_back(kImageTokenIndex); break;
            case Piece::Region: ids.push_back(kRegionTokenIndex); break;
            case Piece::Text: {
                const std::vector<int64_t> t = tokenizer.encode(p.text);
                ids.insert(ids.end(), t.begin(), t.end());
                break;
            }
        }
    }
    return ids;
}

// ---- visual prompts --------------------------------------------------------------------------------

namespace {

int clamp_index(double v, int size) { return std::clamp(int(std::floor(v)), 0, size - 1); }

// The pixel holding image coordinate (x, y) (pixel centres at +0.5), clamped to the image.
std::pair<int, int> pixel_of(const Mask& m, float x, float y) {
    return {clamp_index(x, m.width()), clamp_index(y, m.height())};
}

// enhance_with_circles for one pixel: every pixel at integer offsets with dx^2 + dy^2 <= r^2.
void stamp_disc(Mask& m, int cx, int cy, double r) {
    const int reach = int(std::floor(r));
    for (int y = std::max(cy - reach, 0); y <= std::min(cy + reach, m.height() - 1); ++y)
        for (int x = std::max(cx - reach, 0); x <= std::min(cx + reach, m.width() - 1); ++x) {
            const double dx = x - cx, dy = y - cy;
            if (dx * dx + dy * dy <= r * r) m.set(x, y, true);
        }
}

// skimage.draw.line: Bresenham from (r0, c0) to (r1, c1), both ends included.
std::vector<std::pair<int, int>> line_pixels(int r0, int c0, int r1, int c1) {
    int r = r0, c = c0;
    int dr = std::abs(r1 - r0), dc = std::abs(c1 - c0);
    int sr = r1 - r > 0 ? 1 : -1, sc = c1 - c > 0 ? 1 : -1;
    const bool steep = dr > dc;
    if (steep) {
        std::swap(r, c);
        std::swap(dr, dc);
        std::swap(sr, sc);
    }
    int d = 2 * dr - dc;
    std::vector<std::pair<int, int>> out;
    for (int i = 0; i < dc; ++i) {
        out.emplace_back(steep ? c : r, steep ? r : c);
        while (d >= 0) {
            r += sr;
            d -= 2 * dc;
        }
        c += sc;
        d += 2 * dr;
    }
    out.emplace_back(r1, c1);
    return out;
}

void check_geometry(const CanvasGeometry& g) {
    if (g.canvas <= 0 || g.scaled_h <= 0 || g.scaled_w <= 0 || g.scaled_h > g.canvas || g.scaled_w > g.canvas ||
        g.height <= 0 || g.width <= 0)
        throw Error("visual prompt rasterisation: invalid canvas geometry");
}

// PIL's NEAREST resize (ImagingScaleAffine): source index of each output index, the position
// in * 0.5 / out advanced by in / out per step in double precision, truncated.
std::vector<int> pil_nearest_sources(int in, int out) {
    std::vector<int> src(static_cast<size_t>(out));
    const double step = double(in) / double(out);
    double pos = step * 0.5;
    for (int i = 0; i < out; ++i) {
        src[size_t(i)] = std::min(int(pos), in - 1);
        pos += step;
    }
    return src;
}

}  // namespace

Mask draw_point(int width, int height, float x, float y, float radius) {
    Mask m(width, height);
    auto [cx, cy] = pixel_of(m, x, y);
    stamp_disc(m, cx, cy, radius);
    return m;
}

Mask draw_scribble(int width, int height, const ScribblePrompt& s) {
    if (s.points.empty()) throw Error("a scribble has no points");
    Mask line(width, height);
    std::vector<std::pair<int, int>> pixels;  // (col, row) of the vertices
    for (const PointF& p : s.points) pixels.push_back(pixel_of(line, p.x, p.y));
    line.set(pixels[0].first, pixels[0].second, true);
    for (size_t i = 0; i + 1 < pixels.size(); ++i)
        for (auto [r, c] : line_pixels(pixels[i].second, pixels[i].first, pixels[i + 1].second, pixels[i + 1].first))
            line.set(c, r, true);
    const double radius = s.radius > 0 ? s.radius : kScribbleRadius;
    Mask m(width, height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            if (line.at(x, y)) stamp_disc(m, x, y, radius);
    return m;
}

Mask draw_box(int width, int height, const BoxPrompt& b) {
    Mask m(width, height);
    // Pixels whose centre lies inside [x0, x1] x [y0, y1].
    const int c0 = std::max(0, int(std::ceil(b.x0 - 0.5))), c1 = std::min(width - 1, int(std::floor(b.x1 - 0.5)));
    const int r0 = std::max(0, int(std::ceil(b.y0 - 0.5))), r1 = std::min(height - 1, int(std::floor(b.y1 - 0.5)));
    for (int y = r0; y <= r1; ++y)
        for (int x = c0; x <= c1; ++x) m.set(x, y, true);
    if (!m.any()) {  // narrower than a pixel: the pixel holding its centre
        auto [cx, cy] = pixel_of(m, 0.5f * (b.x0 + b.x1), 0.5f * (b.y0 + b.y1));
        m.set(cx, cy, true);
    }
    return m;
}

torch::Tensor to_canvas(const CanvasGeometry& g, const Mask& m) {
    check_geometry(g);
    if (m.width() != g.width || m.height() != g.height)
        throw Error("a mask prompt is " + std::to_string(m.width()) + "x" + std::to_string(m.height()) +
                    ", expected the image size " + std::to_string(g.width) + "x" + std::to_string(g.height));
    torch::Tensor out = torch::zeros({g.canvas, g.canvas}, torch::kUInt8);
    auto a = out.accessor<uint8_t, 2>();
    const std::vector<int> src_x = pil_nearest_sources(g.width, g.scaled_w);
    const std::vector<int> src_y = pil_nearest_sources(g.height, g.scaled_h);
    bool any = false;
    for (int r = 0; r < g.scaled_h; ++r)
        for (int c = 0; c < g.scaled_w; ++c)
            if (m.at(src_x[size_t(c)], src_y[size_t(r)])) {
                a[r][c] = 1;
                any = true;
            }
    if (any) return out;
    // Lost in a shrinking resize: keep the canvas pixel of the first image pixel.
    for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x)
            if (m.at(x, y)) {
                a[int64_t(y) * g.scaled_h / g.height][int64_t(x) * g.scaled_w / g.width] = 1;
                return out;
            }
    return out;
}

torch::Tensor rasterise_point(const CanvasGeometry& g, float x, float y, float radius) {
    check_geometry(g);
    return to_canvas(g, draw_point(g.width, g.height, x, y, radius));
}

torch::Tensor rasterise_scribble(const CanvasGeometry& g, const ScribblePrompt& s) {
    check_geometry(g);
    return to_canvas(g, draw_scribble(g.width, g.height, s));
}

torch::Tensor rasterise_box(const CanvasGeometry& g, const BoxPrompt& b) {
    check_geometry(g);
    return to_canvas(g, draw_box(g.width, g.height, b));
}

torch::Tensor rasterise_mask(const CanvasGeometry& g, const Mask& m) { return to_canvas(g, m); }

std::vector<Mask> negative_prompts(const SegmentRequest& request, int width, int height) {
    std::vector<Mask> out;
    for (const PointPrompt& p : request.points)
        if (!p.positive) out.push_back(draw_point(width, height, p.x, p.y));
    for (const ScribblePrompt& s : request.scribbles)
        if (!s.positive) out.push_back(draw_scribble(width, height, s));
    return out;
}

RegionSet build_regions(const CanvasGeometry& g, const SegmentRequest& request) {
    RegionSet out;
    auto add = [&](torch::Tensor m, std::string label) {
        if (m.sum().item<int64_t>() == 0)
            throw Error("the visual prompt '" + label + "' covers no pixel of the image");
        out.masks.push_back(std::move(m));
        out.labels.push_back(std::move(label));
    };
    std::vector<std::pair<torch::Tensor, std::string>> shapes;
    int np = 0, nb = 0, ns = 0, nm = 0;
    for (const PointPrompt& p : request.points)
        if (p.positive) shapes.emplace_back(rasterise_point(g, p.x, p.y), "point " + std::to_string(++np));
    for (const BoxPrompt& b : request.boxes) shapes.emplace_back(rasterise_box(g, b), "box " + std::to_string(++nb));
    for (const ScribblePrompt& s : request.scribbles)
        if (s.positive) shapes.emplace_back(rasterise_scribble(g, s), "scribble " + std::to_string(++ns));
    for (const Mask& m : request.mask_prompts) shapes.emplace_back(rasterise_mask(g, m), "mask " + std::to_string(++nm));

    if (request.task == Task::Interactive) {
        if (shapes.empty() && request.input_mask)
            shapes.emplace_back(rasterise_mask(g, *request.input_mask), "input mask");
        if (shapes.empty())
            throw Error("an interactive request needs at least one positive point, box, scribble or mask");
        torch::Tensor u = shapes[0].first.clone();
        std::string label = shapes[0].second;
        for (size_t i = 1; i < shapes.size(); ++i) {
            u.bitwise_or_(shapes[i].first);
            label += " + " + shapes[i].second;
        }
        add(u, label);
    } else {
        if (shapes.empty()) throw Error("a visual grounded request needs at least one point, box, scribble or mask");
        for (auto& s : shapes) add(s.first, s.second);
    }
    return out;
}

}  // namespace xs::xsam
