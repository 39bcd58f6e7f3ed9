#include "core/eval/visual_prompts.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/util/error.h"

namespace xs::eval {

namespace {

constexpr int kMinPartArea = 5;        // regionprops kept when area > min_area (vgdseg_dataset.py)
constexpr int kPointRadius = 10;       // enhance_with_circles radii of X-SAM's data
constexpr int kScribbleRadius = 5;
constexpr double kScribbleBoxScale = 0.85;  // middle of the reference's 0.5 .. 1.2
constexpr double kScribbleAmplitude = 15.0;  // middle of 10 .. 20 pixels
constexpr double kScribblePeriods = 0.6;     // middle of 0.2 .. 1
constexpr double kMaskSigma = 2.0;
const double kPi = 3.14159265358979323846;

struct Pixel {
    int row = 0, col = 0;
};

// One 8-connected part of a mask (skimage.measure.label's default connectivity for 2-D).
struct Part {
    std::vector<Pixel> pixels;  // in row-major order
    int min_row = 0, min_col = 0, max_row = 0, max_col = 0;  // max exclusive, as regionprops' bbox
    double centroid_row = 0, centroid_col = 0;
};

std::vector<Part> parts_of(const Mask& m) {
    const int w = m.width(), h = m.height();
    std::vector<int> label(size_t(w) * size_t(h), -1);
    std::vector<Part> parts;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            if (!m.at(x, y) || label[size_t(y) * w + x] >= 0) continue;
            const int id = int(parts.size());
            std::vector<Pixel> stack{{y, x}};
            label[size_t(y) * w + x] = id;
            Part part;
            while (!stack.empty()) {
                const Pixel p = stack.back();
                stack.pop_back();
                part.pixels.push_back(p);
                for (int dy = -1; dy <= 1; ++dy)
                    for (int dx = -1; dx <= 1; ++dx) {
                        const int yy = p.row + dy, xx = p.col + dx;
                        if (yy < 0 || yy >= h || xx < 0 || xx >= w || !m.at(xx, yy)) continue;
                        int& l = label[size_t(yy) * w + xx];
                        if (l < 0) l = id, stack.push_back({yy, xx});
                    }
            }
            std::sort(part.pixels.begin(), part.pixels.end(),
                      [](const Pixel& a, const Pixel& b) { return a.row != b.row ? a.row < b.row : a.col < b.col; });
            part.min_row = h, part.min_col = w;
            for (const Pixel& p : part.pixels) {
                part.min_row = std::min(part.min_row, p.row);
                part.min_col = std::min(part.min_col, p.col);
                part.max_row = std::max(part.max_row, p.row + 1);
                part.max_col = std::max(part.max_col, p.col + 1);
                part.centroid_row += p.row;
                part.centroid_col += p.col;
            }
            part.centroid_row /= double(part.pixels.size());
            part.centroid_col /= double(part.pixels.size());
            parts.push_back(std::move(part));
        }
    std::vector<Part> kept;
    for (Part& p : parts)
        if (int(p.pixels.size()) > kMinPartArea) kept.push_back(std::move(p));
    return kept;
}

void draw_disc(Mask& m, int row, int col, int radius) {
    for (int y = std::max(0, row - radius); y <= std::min(m.height() - 1, row + radius); ++y)
        for (int x = std::max(0, col - radius); x <= std::min(m.width() - 1, col + radius); ++x)
            if ((x - col) * (x - col) + (y - row) * (y - row) <= radius * radius) m.set(x, y, true);
}

// The pixels of a straight line from (r0, c0) to (r1, c1), both ends included (Bresenham).
std::vector<Pixel> line_pixels(int r0, int c0, int r1, int c1) {
    std::vector<Pixel> px;
    const int dr = std::abs(r1 - r0), dc = std::abs(c1 - c0);
    const int sr = r0 < r1 ? 1 : -1, sc = c0 < c1 ? 1 : -1;
    int err = dc - dr, r = r0, c = c0;
    while (true) {
        px.push_back({r, c});
        if (r == r1 && c == c1) break;
        const int e2 = 2 * err;
        if (e2 > -dr) err -= dr, c += sc;
        if (e2 < dc) err += dc, r += sr;
    }
    return px;
}

// generate_scribble_vprompt with its random draws fixed: the wavy diagonal of one part.
std::vector<Pixel> scribble_of(const Part& p, int height, int width) {
    const double h = (p.max_row - p.min_row) * kScribbleBoxScale, w = (p.max_col - p.min_col) * kScribbleBoxScale;
    // Python's int() truncates toward zero; the box is then clipped to the image.
    const int r0 = std::max(0, int(p.centroid_row - h / 2)), c0 = std::max(0, int(p.centroid_col - w / 2));
    const int r1 = std::min(height, int(p.centroid_row + h / 2)), c1 = std::min(width, int(p.centroid_col + w / 2));
    std::vector<Pixel> line = line_pixels(r0, c0, r1, c1);
    const size_t n = line.size();
    for (size_t i = 0; i < n; ++i) {
        const double t = n > 1 ? double(i) / double(n - 1) : 0.0;
        double row = line[i].row + kScribbleAmplitude * std::sin(2 * kPi * kScribblePeriods * t);
        row = std::min(std::max(row, 0.0), double(height - 1));
        line[i].row = int(row);
        line[i].col = std::min(std::max(line[i].col, 0), width - 1);
    }
    return line;
}

// Index of a reflected neighbour (scipy's mode "reflect": d c b a | a b c d | d c b a).
int reflect(int i, int n) {
    const int period = 2 * n;
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - 1 - i;
}

}  // namespace

const char* prompt_type_name(PromptType type) {
    switch (type) {
        case PromptType::Point: return "point";
        case PromptType::Scribble: return "scribble";
        case PromptType::Box: return "box";
        case PromptType::Mask: return "mask";
    }
    return "?";
}

std::optional<PromptType> prompt_type_from_name(const std::string& name) {
    for (PromptType t : all_prompt_types())
        if (name == prompt_type_name(t)) return t;
    return std::nullopt;
}

const std::vector<PromptType>& all_prompt_types() {
    static const std::vector<PromptType> all = {PromptType::Point, PromptType::Scribble, PromptType::Box, PromptType::Mask};
    return all;
}

std::vector<double> gaussian_blur(const Mask& mask, double sigma) {
    const int w = mask.width(), h = mask.height();
    const int radius = int(4.0 * sigma + 0.5);
    std::vector<double> k(size_t(2 * radius + 1));
    double sum = 0;
    for (int i = -radius; i <= radius; ++i) sum += k[size_t(i + radius)] = std::exp(-0.5 / (sigma * sigma) * double(i * i));
    for (double& v : k) v /= sum;
    std::vector<double> src(size_t(w) * size_t(h)), tmp(src.size()), out(src.size());
    for (size_t i = 0; i < src.size(); ++i) src[i] = mask.data()[i];
    for (int y = 0; y < h; ++y)  // along the rows' axis (scipy's axis 0) first
        for (int x = 0; x < w; ++x) {
            double acc = 0;
            for (int i = -radius; i <= radius; ++i) acc += k[size_t(i + radius)] * src[size_t(reflect(y + i, h)) * w + x];
            tmp[size_t(y) * w + x] = acc;
        }
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double acc = 0;
            for (int i = -radius; i <= radius; ++i) acc += k[size_t(i + radius)] * tmp[size_t(y) * w + reflect(x + i, w)];
            out[size_t(y) * w + x] = acc;
        }
    return out;
}

VisualPrompt derive_prompt(const Mask& gt, PromptType type) {
    VisualPrompt p;
    p.raster = Mask(gt.width(), gt.height());
    if (type == PromptType::Mask) {
        const std::vector<double> blur = gaussian_blur(gt, kMaskSigma);
        double mean = 0;
        for (double v : blur) mean += v;
        mean /= double(blur.size());
        for (size_t i = 0; i < blur.size(); ++i) p.raster.data()[i] = blur[i] > mean ? 1 : 0;
        return p;
    }
    for (const Part& part : parts_of(gt)) {
        if (type == PromptType::Point) {
            Pixel best = part.pixels.front();
            double best_d = 1e300;
            for (const Pixel& px : part.pixels) {
                const double d = (px.row - part.centroid_row) * (px.row - part.centroid_row) +
                                 (px.col - part.centroid_col) * (px.col - part.centroid_col);
                if (d < best_d) best_d = d, best = px;
            }
            p.points.push_back({best.col + 0.5f, best.row + 0.5f, true});
            draw_disc(p.raster, best.row, best.col, kPointRadius);
        } else if (type == PromptType::Box) {
            p.boxes.push_back({float(part.min_col), float(part.min_row), float(part.max_col), float(part.max_row)});
            for (int y = part.min_row; y < part.max_row; ++y)
                for (int x = part.min_col; x < part.max_col; ++x) p.raster.set(x, y, true);
        } else {
            ScribblePrompt s;
            for (const Pixel& px : scribble_of(part, gt.height(), gt.width())) {
                s.points.push_back({px.col + 0.5f, px.row + 0.5f});
                draw_disc(p.raster, px.row, px.col, kScribbleRadius);
            }
            s.radius = float(kScribbleRadius);
            p.scribbles.push_back(std::move(s));
        }
    }
    return p;
}

}  // namespace xs::eval
