#include "core/formats/import_support.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "core/formats/export_support.h"
#include "core/io/image.h"
#include "core/util/utf8.h"

namespace fs = std::filesystem;

namespace xs {

namespace {

std::string in_folder(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : (fs::path(dir) / name).string();
}

bool is_image_extension(std::string ext) {
    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    static const std::set<std::string> known = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"};
    return known.count(ext) > 0;
}

}  // namespace

void import_progress(const ImportOptions& options, int done, int total) {
    if (options.progress && !options.progress(done, total)) throw Cancelled();
}

void import_coco_with_extras(Project& project, const std::string& source, const ImportOptions& options,
                             const std::function<void(Project&, const CocoImportOptions&, CocoImportReport&)>& read_coco,
                             const std::function<void(const CocoImportReport&, Project&)>& read_extras,
                             ImportReport& report) {
    import_progress(options, 0, 2);
    CocoImportOptions co;
    co.images_dir = options.images_dir;
    co.check_images = options.check_images;
    CocoImportReport cr;
    Project incoming;
    read_coco(incoming, co, cr);
    import_progress(options, 1, 2);
    read_extras(cr, incoming);
    report.warnings.insert(report.warnings.end(), cr.warnings.begin(), cr.warnings.end());
    merge_imported(project, incoming, source, report);
    if (options.progress) options.progress(2, 2);  // done: too late to cancel
}

void image_file_size(const ImportOptions& options, const std::string& file_name, int& width, int& height,
                     const std::string& where) {
    try {
        read_image_size(in_folder(options.images_dir, file_name), width, height);
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    }
}

void check_image_file(const ImportOptions& options, const std::string& file_name, int width, int height,
                      const std::string& where) {
    if (!options.check_images) return;
    int w = 0, h = 0;
    image_file_size(options, file_name, w, h, where);
    if (w != width || h != height)
        throw Error(where + ": the data is for a " + std::to_string(width) + "x" + std::to_string(height) + " image, but " +
                    in_folder(options.images_dir, file_name) + " is " + std::to_string(w) + "x" + std::to_string(h) +
                    " as displayed (after EXIF orientation)");
}

std::string name_in_image_folder(const ImportOptions& options, const std::string& path, const std::string& where) {
    const fs::path root = fs::absolute(options.images_dir.empty() ? "." : options.images_dir).lexically_normal();
    const fs::path rel = fs::absolute(path).lexically_normal().lexically_relative(root);
    const std::string name = rel.generic_string();
    if (rel.empty() || name == "." || name.rfind("..", 0) == 0)
        throw Error(where + ": " + path + " is not inside the image folder " + root.string());
    return name;
}

ImageStems::ImageStems(const std::string& images_dir) : dir_(images_dir.empty() ? "." : images_dir) {
    std::error_code ec;
    fs::recursive_directory_iterator it(dir_, fs::directory_options::follow_directory_symlink, ec), end;
    if (ec) throw Error(dir_ + ": cannot read the image folder (" + ec.message() + ")");
    for (; it != end; it.increment(ec)) {
        if (ec) break;
        const std::string base = it->path().filename().string();
        if (!base.empty() && base[0] == '.') {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (it.depth() > 32) it.disable_recursion_pending();  // a link loop
        if (!it->is_regular_file(ec) || !is_image_extension(it->path().extension().string())) continue;
        const std::string name = it->path().lexically_relative(dir_).generic_string();
        by_stem_[without_extension(name)].push_back(name);
    }
}

std::string ImageStems::find(const std::string& stem, const std::string& where) const {
    const auto it = by_stem_.find(stem);
    if (it == by_stem_.end())
        throw Error(where + ": no image \"" + utf8_display(stem) + ".*\" in the image folder " + dir_);
    if (it->second.size() > 1) {
        std::vector<std::string> names = it->second;
        std::sort(names.begin(), names.end());
        throw Error(where + ": \"" + utf8_display(names[0]) + "\" and \"" + utf8_display(names[1]) +
                    "\" in the image folder both fit; rename one of them");
    }
    return it->second[0];
}

int category_named(Project& p, const std::string& name) {
    if (const Category* c = p.find_category(name)) return c->id;
    return p.add_category(name).id;
}

void merge_imported(Project& project, const Project& incoming, const std::string& source, ImportReport& report) {
    Project work = project;
    ImportReport rep = report;
    try {
        std::map<int, int> category_ids;
        for (const Category& c : incoming.categories) {
            Category* mine = work.find_category(c.name);
            if (mine) {
                ++rep.categories_matched;
            } else {
                mine = &work.add_category(c.name, c.color);
                ++rep.categories_added;
            }
            category_ids[c.id] = mine->id;
            add_missing_declarations(*mine, c);  // the attributes its instances bring
        }
        std::set<int64_t> used_ids;
        for (const ImageRecord& img : work.images) {
            for (const Instance& inst : img.instances) used_ids.insert(inst.id);
        }
        for (const ImageRecord& from : incoming.images) {
            ImageRecord* into = work.find_image(from.file_name);
            if (!into) {
                into = &work.add_image(from.file_name, from.width, from.height);
                ++rep.images_added;
            } else if (into->width != from.width || into->height != from.height) {
                throw Error("\"" + utf8_display(from.file_name) + "\" is " + std::to_string(from.width) + "x" +
                            std::to_string(from.height) + " here but " + std::to_string(into->width) + "x" +
                            std::to_string(into->height) + " in the project");
            } else {
                ++rep.images_matched;
            }
            std::map<int64_t, int64_t> new_ids;
            for (const Instance& inst : from.instances) {
                Instance copy = inst;
                copy.category_id = category_ids.at(inst.category_id);
                keep_declared_attributes(copy, *work.find_category(copy.category_id));
                if (inst.id < 1 || used_ids.count(inst.id)) copy.id = std::max<int64_t>(work.next_instance_id, 1);
                while (used_ids.count(copy.id)) ++copy.id;
                used_ids.insert(copy.id);
                work.next_instance_id = std::max(work.next_instance_id, copy.id + 1);
                new_ids[inst.id] = copy.id;
                rep.prompts += copy.prompt.empty() ? 0 : 1;
                rep.referring_sentences += int64_t(copy.referring.size());
                into->instances.push_back(std::move(copy));
                ++rep.instances_added;
            }
            ImageRecord linked;
            linked.captions = from.captions;
            linked.episodes = from.episodes;
            remap_links(linked, new_ids);
            into->captions.insert(into->captions.end(), linked.captions.begin(), linked.captions.end());
            into->episodes.insert(into->episodes.end(), linked.episodes.begin(), linked.episodes.end());
            rep.captions += int64_t(linked.captions.size());
            rep.episodes += int64_t(linked.episodes.size());
        }
    } catch (const Error& e) {
        throw Error(source + ": " + e.what());
    }
    project = std::move(work);
    report = std::move(rep);
}

}  // namespace xs
