#include "core/io/folder_scan.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/util/error.h"

namespace xs {

namespace fs = std::filesystem;

namespace {

const char* const kExtensions[] = {"jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp", "jp2", "pgm", "ppm", "pbm"};
constexpr size_t kProgressEvery = 200;  // files between progress reports
constexpr int kMaxDepth = 64;           // folders below the root (a chain of links could go deeper)

// Case folding as ranges: every code point c in [first, last] with (c - first) % step == 0 folds to
// c + delta. Sorted by `first`; written from the Unicode character tables block by block.
struct FoldRange {
    char32_t first, last;
    int32_t delta;
    int step;
};
const FoldRange kFolds[] = {
    {0x0041, 0x005A, 32, 1},     {0x00B5, 0x00B5, 0x3BC - 0xB5, 1}, {0x00C0, 0x00D6, 32, 1},
    {0x00D8, 0x00DE, 32, 1},     {0x0100, 0x012E, 1, 2},            {0x0132, 0x0136, 1, 2},
    {0x0139, 0x0147, 1, 2},      {0x014A, 0x0176, 1, 2},            {0x0178, 0x0178, 0xFF - 0x178, 1},
    {0x0179, 0x017D, 1, 2},      {0x017F, 0x017F, 0x73 - 0x17F, 1}, {0x0181, 0x0181, 0x253 - 0x181, 1},
    {0x0182, 0x0184, 1, 2},      {0x0186, 0x0186, 0x254 - 0x186, 1}, {0x0187, 0x0187, 1, 1},
    {0x0189, 0x018A, 0x256 - 0x189, 1}, {0x018B, 0x018B, 1, 1},     {0x018E, 0x018E, 0x1DD - 0x18E, 1},
    {0x018F, 0x018F, 0x259 - 0x18F, 1}, {0x0190, 0x0190, 0x25B - 0x190, 1}, {0x0191, 0x0191, 1, 1},
    {0x0193, 0x0193, 0x260 - 0x193, 1}, {0x0194, 0x0194, 0x263 - 0x194, 1}, {0x0196, 0x0196, 0x269 - 0x196, 1},
    {0x0197, 0x0197, 0x268 - 0x197, 1}, {0x0198, 0x0198, 1, 1},     {0x019C, 0x019C, 0x26F - 0x19C, 1},
    {0x019D, 0x019D, 0x272 - 0x19D, 1}, {0x019F, 0x019F, 0x275 - 0x19F, 1}, {0x01A0, 0x01A4, 1, 2},
    {0x01A6, 0x01A6, 0x280 - 0x1A6, 1}, {0x01A7, 0x01A7, 1, 1},     {0x01A9, 0x01A9, 0x283 - 0x1A9, 1},
    {0x01AC, 0x01AC, 1, 1},      {0x01AE, 0x01AE, 0x288 - 0x1AE, 1}, {0x01AF, 0x01AF, 1, 1},
    {0x01B1, 0x01B2, 0x28A - 0x1B1, 1}, {0x01B3, 0x01B5, 1, 2},     {0x01B7, 0x01B7, 0x292 - 0x1B7, 1},
    {0x01B8, 0x01B8, 1, 1},      {0x01BC, 0x01BC, 1, 1},            {0x01C4, 0x01C4, 2, 1},
    {0x01C5, 0x01C5, 1, 1},      {0x01C7, 0x01C7, 2, 1},            {0x01C8, 0x01C8, 1, 1},
    {0x01CA, 0x01CA, 2, 1},      {0x01CB, 0x01DB, 1, 2},            {0x01DE, 0x01EE, 1, 2},
    {0x01F1, 0x01F1, 2, 1},      {0x01F2, 0x01F4, 1, 2},            {0x01F6, 0x01F6, 0x195 - 0x1F6, 1},
    {0x01F7, 0x01F7, 0x1BF - 0x1F7, 1}, {0x01F8, 0x021E, 1, 2},     {0x0220, 0x0220, 0x19E - 0x220, 1},
    {0x0222, 0x0232, 1, 2},      {0x023A, 0x023A, 0x2C65 - 0x23A, 1}, {0x023B, 0x023B, 1, 1},
    {0x023D, 0x023D, 0x19A - 0x23D, 1}, {0x023E, 0x023E, 0x2C66 - 0x23E, 1}, {0x0241, 0x0241, 1, 1},
    {0x0243, 0x0243, 0x180 - 0x243, 1}, {0x0244, 0x0244, 0x289 - 0x244, 1}, {0x0245, 0x0245, 0x28C - 0x245, 1},
    {0x0246, 0x024E, 1, 2},      {0x0345, 0x0345, 0x3B9 - 0x345, 1}, {0x0370, 0x0372, 1, 2},
    {0x0376, 0x0376, 1, 1},      {0x037F, 0x037F, 0x3F3 - 0x37F, 1}, {0x0386, 0x0386, 0x3AC - 0x386, 1},
    {0x0388, 0x038A, 37, 1},     {0x038C, 0x038C, 64, 1},           {0x038E, 0x038F, 63, 1},
    {0x0391, 0x03A1, 32, 1},     {0x03A3, 0x03AB, 32, 1},           {0x03C2, 0x03C2, 1, 1},
    {0x03CF, 0x03CF, 0x3D7 - 0x3CF, 1}, {0x03D0, 0x03D0, 0x3B2 - 0x3D0, 1}, {0x03D1, 0x03D1, 0x3B8 - 0x3D1, 1},
    {0x03D5, 0x03D5, 0x3C6 - 0x3D5, 1}, {0x03D6, 0x03D6, 0x3C0 - 0x3D6, 1}, {0x03D8, 0x03EE, 1, 2},
    {0x03F0, 0x03F0, 0x3BA - 0x3F0, 1}, {0x03F1, 0x03F1, 0x3C1 - 0x3F1, 1}, {0x03F4, 0x03F4, 0x3B8 - 0x3F4, 1},
    {0x03F5, 0x03F5, 0x3B5 - 0x3F5, 1}, {0x03F7, 0x03F7, 1, 1},     {0x03F9, 0x03F9, 0x3F2 - 0x3F9, 1},
    {0x03FA, 0x03FA, 1, 1},      {0x03FD, 0x03FF, 0x37B - 0x3FD, 1}, {0x0400, 0x040F, 80, 1},
    {0x0410, 0x042F, 32, 1},     {0x0460, 0x0480, 1, 2},            {0x048A, 0x04BE, 1, 2},
    {0x04C0, 0x04C0, 15, 1},     {0x04C1, 0x04CD, 1, 2},            {0x04D0, 0x052E, 1, 2},
    {0x0531, 0x0556, 48, 1},     {0x1E00, 0x1E94, 1, 2},            {0x1E9B, 0x1E9B, 0x1E61 - 0x1E9B, 1},
    {0x1E9E, 0x1E9E, 0xDF - 0x1E9E, 1}, {0x1EA0, 0x1EFE, 1, 2},     {0xFF21, 0xFF3A, 32, 1},
};

// The next code point of `s` from `i` (advanced past it). Bytes that do not start a valid UTF-8
// sequence (or overlong ones, surrogates, values over U+10FFFF) stand for themselves, after every
// code point: 0x110000 + byte.
uint32_t next_code_point(const std::string& s, size_t& i) {
    const unsigned char b0 = static_cast<unsigned char>(s[i]);
    auto raw = [&] { ++i; return 0x110000u + b0; };
    if (b0 < 0x80) return ++i, b0;
    const int len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
    if (len == 0 || b0 > 0xF4 || i + size_t(len) > s.size()) return raw();
    uint32_t cp = b0 & (0x7Fu >> len);
    for (int k = 1; k < len; ++k) {
        const unsigned char b = static_cast<unsigned char>(s[i + size_t(k)]);
        if ((b & 0xC0) != 0x80) return raw();
        cp = (cp << 6) | (b & 0x3F);
    }
    const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return raw();
    i += size_t(len);
    return cp;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Compares the digit runs starting at a[i] and b[j] by value; advances both past their runs.
int compare_numbers(const std::string& a, size_t& i, const std::string& b, size_t& j) {
    while (i < a.size() && a[i] == '0' && i + 1 < a.size() && is_digit(a[i + 1])) ++i;
    while (j < b.size() && b[j] == '0' && j + 1 < b.size() && is_digit(b[j + 1])) ++j;
    size_t ei = i, ej = j;
    while (ei < a.size() && is_digit(a[ei])) ++ei;
    while (ej < b.size() && is_digit(b[ej])) ++ej;
    int c = 0;
    if (ei - i != ej - j) c = (ei - i) < (ej - j) ? -1 : 1;
    else c = a.compare(i, ei - i, b, j, ej - j);
    i = ei;
    j = ej;
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

bool is_hidden(const std::string& name) { return !name.empty() && name[0] == '.'; }

// True when `dir` is `ancestor` or lies below it (both canonical).
bool is_within(const fs::path& dir, const fs::path& ancestor) {
    auto a = ancestor.begin(), d = dir.begin();
    for (; a != ancestor.end(); ++a, ++d)
        if (d == dir.end() || *a != *d) return false;
    return true;
}

struct Walk {
    fs::path real;                 // canonical path of the folder being listed
    std::string relative;          // its path below the root as the user sees it ("" for the root)
    std::vector<fs::path> chain;   // canonical folders on the way down, the root first
};

class Scanner {
public:
    Scanner(const std::atomic<bool>* cancel, const std::function<void(int)>& progress)
        : cancel_(cancel), progress_(progress) {}

    void run(const fs::path& root, ImageFolder& out) {
        std::error_code ec;
        root_ = fs::canonical(root, ec);
        if (ec) throw Error(root.string() + ": cannot read the folder (" + ec.message() + ")");
        std::vector<Walk> todo{Walk{root_, "", {root_}}};
        bool first = true;
        while (!todo.empty()) {
            if (cancel_ && cancel_->load()) {
                out.cancelled = true;
                break;
            }
            Walk w = std::move(todo.back());
            todo.pop_back();
            list_folder(w, first, todo, out);
            first = false;
        }
    }

private:
    void list_folder(const Walk& w, bool is_root, std::vector<Walk>& todo, ImageFolder& out) {
        std::error_code ec;
        fs::directory_iterator it(w.real, fs::directory_options::skip_permission_denied, ec);
        if (ec) {
            if (is_root) throw Error(w.real.string() + ": cannot list the folder (" + ec.message() + ")");
            out.unreadable_folders.push_back(w.relative);
            return;
        }
        for (const fs::directory_iterator end; it != end; it.increment(ec)) {
            if (ec) {
                out.unreadable_folders.push_back(w.relative);
                return;
            }
            const std::string name = it->path().filename().string();
            if (is_hidden(name)) continue;
            const std::string relative = w.relative.empty() ? name : w.relative + "/" + name;
            std::error_code e2;
            if (it->is_directory(e2)) {
                enter(*it, relative, w, todo, out);
            } else if (it->is_regular_file(e2) && is_image_file_name(name)) {
                out.files.push_back(relative);
                if (progress_ && out.files.size() % kProgressEvery == 0) progress_(int(out.files.size()));
            }
        }
    }

    // A sub-folder (maybe through a link): queued unless the link leaves the root or loops.
    void enter(const fs::directory_entry& e, const std::string& relative, const Walk& w, std::vector<Walk>& todo,
               ImageFolder& out) {
        std::error_code ec;
        const fs::path real = e.is_symlink(ec) ? fs::canonical(e.path(), ec) : w.real / e.path().filename();
        if (ec || !is_within(real, root_)) {
            out.links_not_followed.push_back(relative);
            return;
        }
        for (const fs::path& on_the_way : w.chain)
            if (is_within(on_the_way, real)) {
                out.links_not_followed.push_back(relative);
                return;
            }
        if (int(w.chain.size()) > kMaxDepth) return;
        Walk next{real, relative, w.chain};
        next.chain.push_back(real);
        todo.push_back(std::move(next));
    }

    const std::atomic<bool>* cancel_;
    const std::function<void(int)>& progress_;
    fs::path root_;
};

}  // namespace

char32_t case_fold(char32_t c) {
    const FoldRange* end = kFolds + sizeof(kFolds) / sizeof(kFolds[0]);
    const FoldRange* r = std::upper_bound(kFolds, end, c, [](char32_t v, const FoldRange& f) { return v < f.first; });
    if (r == kFolds) return c;
    --r;
    if (c > r->last || (c - r->first) % char32_t(r->step) != 0) return c;
    return char32_t(int32_t(c) + r->delta);
}

bool is_image_file_name(const std::string& name) {
    const size_t slash = name.find_last_of('/');
    const size_t dot = name.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return false;
    std::string ext = name.substr(dot + 1);
    for (char& ch : ext)
        if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
    for (const char* e : kExtensions)
        if (ext == e) return true;
    return false;
}

std::string image_file_patterns() {
    std::string out;
    for (const char* e : kExtensions) out += std::string(out.empty() ? "" : " ") + "*." + e;
    return out;
}

std::u32string folded_name(const std::string& name) {
    std::u32string out;
    out.reserve(name.size());
    size_t i = 0;
    while (i < name.size()) {
        const uint32_t c = next_code_point(name, i);
        out.push_back(c < 0x110000 ? case_fold(char32_t(c)) : char32_t(c));
    }
    return out;
}

int natural_compare(const std::string& a, const std::string& b) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            if (const int c = compare_numbers(a, i, b, j)) return c;
            continue;
        }
        const uint32_t ca = next_code_point(a, i), cb = next_code_point(b, j);
        const uint32_t fa = ca < 0x110000 ? uint32_t(case_fold(char32_t(ca))) : ca;
        const uint32_t fb = cb < 0x110000 ? uint32_t(case_fold(char32_t(cb))) : cb;
        if (fa != fb) return fa < fb ? -1 : 1;
    }
    if (i < a.size()) return 1;
    if (j < b.size()) return -1;
    return 0;
}

void natural_sort(std::vector<std::string>& names) {
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        const int c = natural_compare(a, b);
        return c != 0 ? c < 0 : a < b;
    });
}

ImageFolder scan_image_folder(const std::string& root_text, const std::atomic<bool>* cancel,
                              const std::function<void(int)>& progress) {
    std::error_code ec;
    const fs::path root = fs::absolute(fs::path(root_text), ec).lexically_normal();
    const fs::file_status st = fs::status(root, ec);
    if (ec || !fs::exists(st)) throw Error(root_text + ": no such folder");
    if (!fs::is_directory(st)) throw Error(root_text + ": not a folder");
    ImageFolder out;
    Scanner(cancel, progress).run(root, out);
    natural_sort(out.files);
    if (progress) progress(int(out.files.size()));
    return out;
}

}  // namespace xs
