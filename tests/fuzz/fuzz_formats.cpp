// libFuzzer target: the importers of core/formats (gcg, vgd and labelme files; YOLO data.yaml with a
// label file, and RefCOCO refs.json with instances.json, the two files of an input split at its first
// NUL byte) and the label-PNG decoder. The first byte picks which, the rest is the input. Invariants:
// an import either
// succeeds or leaves the project exactly as it was (checked through project_to_json), a project an
// import accepted is saved and read back unchanged, and a decoded PNG has width x height values.
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <utility>
#include <vector>
#include <cstdint>
#include <fstream>
#include <string>

#include "core/formats/format.h"
#include "core/formats/png_codec.h"
#include "core/io/project_file.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

const xs::Project& base_project() {
    static const xs::Project p = [] {
        xs::Project b;
        b.image_root = "images";
        b.add_category("object");
        xs::ImageRecord& img = b.add_image("a.png", 8, 6);
        xs::Mask m(8, 6);
        for (int y = 1; y < 4; ++y)
            for (int x = 2; x < 6; ++x) m.set(x, y, true);
        xs::Instance& inst = b.add_instance(img, 1, xs::rle_encode(m));
        inst.referring = {"the block"};
        return b;
    }();
    return p;
}

// The importers read files: the input goes to files of this process, in a folder with one 8 x 6
// image (images/x.png), which YOLO needs for the size of the image its labels belong to.
const std::string& work_dir() {
    static const std::string dir = [] {
        const std::string d = "/tmp/xs-fuzz-formats-" + std::to_string(getpid());
        std::filesystem::create_directories(d + "/images");
        std::vector<uint8_t> px(48, 0);
        std::ofstream(d + "/images/x.png", std::ios::binary) << xs::png_encode_indexed(8, 6, px, {xs::Rgb{0, 0, 0}});
        return d;
    }();
    return dir;
}

std::string write_input(const std::string& name, const std::string& bytes) {
    const std::string path = work_dir() + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return path;
}

void fuzz_import(const char* format, const std::string& input) {
    xs::ImportOptions opt;
    opt.images_dir = work_dir() + "/images";
    opt.check_images = false;
    xs::Project work = base_project();
    const std::string before = xs::project_to_json(work);
    xs::ImportReport rep;
    if (!xs::fuzz::accepts([&] { xs::find_format(format).import_into(work, input, opt, rep); })) {
        XS_FUZZ_REQUIRE(xs::project_to_json(work) == before, "a failed import changed the project");
        return;
    }
    std::string once;
    XS_FUZZ_REQUIRE(xs::fuzz::accepts([&] { once = xs::project_to_json(work); }), "an imported project cannot be saved");
    xs::Project again;
    XS_FUZZ_REQUIRE(xs::fuzz::accepts([&] { again = xs::project_from_json(once, "again.json"); }),
                    "a saved imported project is rejected on reading");
    XS_FUZZ_REQUIRE(xs::project_to_json(again) == once, "an imported project changed on a save/read round trip");
}

// The two files of a folder format: the input split at its first NUL byte.
std::pair<std::string, std::string> two_files(const std::string& bytes) {
    const size_t nul = bytes.find('\0');
    if (nul == std::string::npos) return {bytes, std::string()};
    return {bytes.substr(0, nul), bytes.substr(nul + 1)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 6) {
        case 0: fuzz_import("gcg", write_input("gcg.json", bytes)); break;
        case 1: fuzz_import("vgd", write_input("vgd.json", bytes)); break;
        case 2: fuzz_import("labelme", write_input("labelme.json", bytes)); break;
        case 3: {
            xs::PngValues v;
            if (xs::fuzz::accepts([&] { v = xs::png_decode_values(bytes, "fuzz.png"); }))
                XS_FUZZ_REQUIRE(v.values.size() == size_t(v.width) * size_t(v.height), "PNG values do not fill the image");
            break;
        }
        case 4: {  // data.yaml listing images/, labels/x.txt for images/x.png
            const auto [yaml, labels] = two_files(bytes);
            write_input("yolo/data.yaml", yaml);
            write_input("yolo/labels/x.txt", labels);
            std::filesystem::create_directories(work_dir() + "/yolo/images");
            std::filesystem::copy_file(work_dir() + "/images/x.png", work_dir() + "/yolo/images/x.png",
                                       std::filesystem::copy_options::overwrite_existing);
            fuzz_import("yolo-seg", work_dir() + "/yolo");
            break;
        }
        default: {  // refs.json and instances.json
            const auto [refs, instances] = two_files(bytes);
            write_input("refcoco/refs.json", refs);
            write_input("refcoco/instances.json", instances);
            fuzz_import("refcoco", work_dir() + "/refcoco");
        }
    }
    return 0;
}
