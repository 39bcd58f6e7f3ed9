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

// A W x H byte grid with drawing primitives on pixel centres; `limit_w/h` clip the drawable area.
struct Grid {
    int w, h;
    std::vector<uint8_t> px;
    Grid(int w_, int h_) : w(w_), h(h_), px(size_t(w_) * h_, 0) {}
    void set(int c, int r) {
        if (c >= 0 && r >= 0 && c < w && r < h) px[size_t(r) * w + c] = 1;
    }
    bool any() const { return std::any_of(px.begin(), px.end(), [](uint8_t v) { return v != 0; }); }

    void disc(double cx, double cy, double r) {
        const int c0 = int(std::floor(cx - r)) - 1, c1 = int(std::ceil(cx + r)) + 1;
        const int r0 = int(std::floor(cy - r)) - 1, r1 = int(std::ceil(cy + r)) + 1;
        for (int y = std::max(r0, 0); y <= std::min(r1, h - 1); ++y)
            for (int x = std::max(c0, 0); x <= std::min(c1, w - 1); ++x) {
                const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                if (dx * dx + dy * dy <= r * r) px[size_t(y) * w + x] = 1;
            }
        set(int(std::floor(cx)), int(std::floor(cy)));  // never empty
    }

    void capsule(double ax, double ay, double bx, double by, double r) {
        const double vx = bx - ax, vy = by - ay, len2 = vx * vx + vy * vy;
        const int c0 = int(std::floor(std::min(ax, bx) - r)) - 1, c1 = int(std::ceil(std::max(ax, bx) + r)) + 1;
        const int r0 = int(std::floor(std::min(ay, by) - r)) - 1, r1 = int(std::ceil(std::max(ay, by) + r)) + 1;
        for (int y = std::max(r0, 0); y <= std::min(r1, h - 1); ++y)
            for (int x = std::max(c0, 0); x <= std::min(c1, w - 1); ++x) {
                const double px_ = x + 0.5 - ax, py_ = y + 0.5 - ay;
                double t = len2 > 0 ? (px_ * vx + py_ * vy) / len2 : 0.0;
                t = std::clamp(t, 0.0, 1.0);
                const double dx = px_ - t * vx, dy = py_ - t * vy;
                if (dx * dx + dy * dy <= r * r) px[size_t(y) * w + x] = 1;
            }
        set(int(std::floor(ax)), int(std::floor(ay)));
        set(int(std::floor(bx)), int(std::floor(by)));
    }

    void polyline(const std::vector<std::pair<double, double>>& pts, double r) {
        if (pts.size() == 1) {
            disc(pts[0].first, pts[0].second, r);
            return;
        }
        for (size_t i = 0; i + 1 < pts.size(); ++i)
            capsule(pts[i].first, pts[i].second, pts[i + 1].first, pts[i + 1].second, r);
    }

    void rect(double x0, double y0, double x1, double y1) {
        // Pixels whose centre lies inside [x0, x1] x [y0, y1].
        const int c0 = std::max(0, int(std::ceil(x0 - 0.5))), c1 = std::min(w - 1, int(std::floor(x1 - 0.5)));
        const int r0 = std::max(0, int(std::ceil(y0 - 0.5))), r1 = std::min(h - 1, int(std::floor(y1 - 0.5)));
        for (int y = r0; y <= r1; ++y)
            for (int x = c0; x <= c1; ++x) px[size_t(y) * w + x] = 1;
        set(int(std::floor((x0 + x1) / 2)), int(std::floor((y0 + y1) / 2)));
    }
};

void check_geometry(const CanvasGeometry& g) {
    if (g.canvas <= 0 || g.scaled_h <= 0 || g.scaled_w <= 0 || g.scaled_h > g.canvas || g.scaled_w > g.canvas ||
        g.height <= 0 || g.width <= 0)
        throw Error("visual prompt rasterisation: invalid canvas geometry");
}

// Draws on the scaled (h', w') area, returns it padded to the S x S canvas.
torch::Tensor to_canvas(const CanvasGeometry& g, const Grid& grid) {
    torch::Tensor out = torch::zeros({g.canvas, g.canvas}, torch::kUInt8);
    torch::Tensor src = torch::from_blob(const_cast<uint8_t*>(grid.px.data()), {grid.h, grid.w}, torch::kUInt8);
    out.narrow(0, 0, grid.h).narrow(1, 0, grid.w).copy_(src);
    return out;
}

Mask grid_to_mask(const Grid& grid) {
    Mask m(grid.w, grid.h);
    std::copy(grid.px.begin(), grid.px.end(), m.data());
    return m;
}

}  // namespace

torch::Tensor rasterise_point(const CanvasGeometry& g, float x, float y, float radius) {
    check_geometry(g);
    Grid grid(g.scaled_w, g.scaled_h);
    grid.disc(x * g.sx(), y * g.sy(), radius);
    return to_canvas(g, grid);
}

torch::Tensor rasterise_scribble(const CanvasGeometry& g, const ScribblePrompt& s) {
    check_geometry(g);
    if (s.points.empty()) throw Error("a scribble has no points");
    Grid grid(g.scaled_w, g.scaled_h);
    std::vector<std::pair<double, double>> pts;
    for (const PointF& p : s.points) pts.emplace_back(p.x * g.sx(), p.y * g.sy());
    // A given radius is in image pixels; 0 means the training radius on the canvas.
    const double r = s.radius > 0 ? s.radius * 0.5 * (g.sx() + g.sy()) : double(kScribbleRadius);
    grid.polyline(pts, r);
    return to_canvas(g, grid);
}

torch::Tensor rasterise_box(const CanvasGeometry& g, const BoxPrompt& b) {
    check_geometry(g);
    Grid grid(g.scaled_w, g.scaled_h);
    grid.rect(b.x0 * g.sx(), b.y0 * g.sy(), b.x1 * g.sx(), b.y1 * g.sy());
    return to_canvas(g, grid);
}

torch::Tensor rasterise_mask(const CanvasGeometry& g, const Mask& m) {
    check_geometry(g);
    if (m.width() != g.width || m.height() != g.height)
        throw Error("a mask prompt is " + std::to_string(m.width()) + "x" + std::to_string(m.height()) +
                    ", expected the image size " + std::to_string(g.width) + "x" + std::to_string(g.height));
    Grid grid(g.scaled_w, g.scaled_h);
    // PIL NEAREST: source = floor((dst + 0.5) * in / out).
    std::vector<int> src_x(g.scaled_w), src_y(g.scaled_h);
    for (int c = 0; c < g.scaled_w; ++c)
        src_x[c] = std::min(g.width - 1, int(std::floor((c + 0.5) * double(g.width) / g.scaled_w)));
    for (int r = 0; r < g.scaled_h; ++r)
        src_y[r] = std::min(g.height - 1, int(std::floor((r + 0.5) * double(g.height) / g.scaled_h)));
    for (int r = 0; r < g.scaled_h; ++r)
        for (int c = 0; c < g.scaled_w; ++c)
            if (m.at(src_x[c], src_y[r])) grid.px[size_t(r) * grid.w + c] = 1;
    return to_canvas(g, grid);
}

Mask image_disc(int width, int height, float x, float y, float radius) {
    Grid grid(width, height);
    grid.disc(x, y, radius);
    return grid_to_mask(grid);
}

Mask image_scribble(int width, int height, const std::vector<PointF>& points, float radius) {
    Grid grid(width, height);
    std::vector<std::pair<double, double>> pts;
    for (const PointF& p : points) pts.emplace_back(p.x, p.y);
    if (!pts.empty()) grid.polyline(pts, radius);
    return grid_to_mask(grid);
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
