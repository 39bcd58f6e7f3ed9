// RefCOCO layout: a folder with refs.json (a list of refs: ref_id, ann_id, image_id, category_id,
// split, sentences with sent, raw, tokens and sent_id, sent_ids, file_name) and the matching COCO
// instances.json. Every referring sentence of an instance is a sentence of its ref.
#include <cctype>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/coco/coco.h"
#include "core/formats/export_support.h"
#include "core/formats/import_support.h"
#include "core/formats/output_folder.h"
#include "core/io/file_io.h"
#include "core/io/json_names.h"
#include "core/io/json_read.h"
#include "core/util/utf8.h"

namespace fs = std::filesystem;

namespace xs {

namespace {

using ojson = nlohmann::ordered_json;
using namespace jsonr;

// RefCOCO's tokens: lower-case words without punctuation (bytes of other scripts are word bytes).
std::vector<std::string> tokens_of(const std::string& sentence) {
    std::vector<std::string> out;
    std::string word;
    for (char ch : sentence) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c >= 0x80 || c == '\'') {
            word += char(std::tolower(c));
        } else if (!word.empty()) {
            out.push_back(word);
            word.clear();
        }
    }
    if (!word.empty()) out.push_back(word);
    return out;
}

// `exported`: the annotation ids instances.json holds (it leaves out instances of no category).
ojson refs_json(const Project& project, const std::set<int64_t>& exported, double val_fraction, int64_t& refs,
                int64_t& sentences) {
    ojson list = ojson::array();
    int64_t sent_id = 0;
    for (const ImageRecord& img : project.images) {
        const std::string split = in_validation_split(img.file_name, val_fraction) ? "val" : "train";
        for (const Instance& inst : img.instances) {
            if (inst.referring.empty() || !exported.count(inst.id)) continue;
            ojson sents = ojson::array(), ids = ojson::array();
            for (const std::string& s : inst.referring) {
                const std::vector<std::string> tokens = tokens_of(s);
                std::string joined;
                for (const std::string& t : tokens) joined += (joined.empty() ? "" : " ") + t;
                sents.push_back({{"tokens", tokens}, {"raw", s}, {"sent_id", ++sent_id}, {"sent", joined}});
                ids.push_back(sent_id);
                ++sentences;
            }
            ojson ref;
            ref["ref_id"] = ++refs;
            ref["ann_id"] = inst.id;
            ref["image_id"] = img.id;
            ref["category_id"] = inst.category_id;
            ref["split"] = split;
            ref["sentences"] = std::move(sents);
            ref["sent_ids"] = std::move(ids);
            put_name(ref, "file_name", img.file_name);
            list.push_back(std::move(ref));
        }
    }
    return list;
}

// refs.json in the folder, or the one refs*.json there.
std::string refs_path(const std::string& in) {
    const fs::path dir(in);
    if (fs::exists(dir / "refs.json")) return (dir / "refs.json").string();
    std::vector<std::string> found;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("refs", 0) == 0 && e.path().extension() == ".json") found.push_back(e.path().string());
    }
    if (found.size() != 1)
        throw Error(in + ": expected refs.json (RefCOCO refs) in the folder" +
                    (found.empty() ? std::string() : ", found " + std::to_string(found.size()) + " refs*.json files"));
    return found[0];
}

// The sentences of each ref, onto the instances the COCO part made.
void read_refs(const std::string& path, const CocoImportReport& coco, Project& incoming) {
    const json root = parse(read_whole_file(path, "RefCOCO refs file"), path);
    const json& refs = get_array(root, path, "");
    for (size_t i = 0; i < refs.size(); ++i) {
        const std::string rp = index("", i);
        const json& ref = get_object(refs[i], path, rp);
        const int64_t ann = get_int(field(ref, "ann_id", path, rp), path, join(rp, "ann_id"));
        const auto it = coco.instance_ids.find(ann);
        if (it == coco.instance_ids.end()) fail(path, join(rp, "ann_id"), "annotation " + std::to_string(ann) + " is not in instances.json");
        ImageRecord* img = nullptr;
        Instance* inst = incoming.find_instance(it->second, &img);
        if (ref.contains("image_id")) {
            const int64_t image = get_int(ref.at("image_id"), path, join(rp, "image_id"));
            const auto im = coco.image_ids.find(image);
            if (im == coco.image_ids.end() || im->second != img->id)
                fail(path, join(rp, "image_id"), "annotation " + std::to_string(ann) + " is not on image " + std::to_string(image));
        }
        const std::string sp = join(rp, "sentences");
        const json& sents = get_array(field(ref, "sentences", path, rp), path, sp);
        for (size_t k = 0; k < sents.size(); ++k) {
            const std::string kp = index(sp, k);
            const json& s = get_object(sents[k], path, kp);
            const char* key = s.contains("raw") ? "raw" : "sent";
            const std::string text = get_string(field(s, key, path, kp), path, join(kp, key));
            if (text.empty()) fail(path, join(kp, key), "empty sentence");
            if (std::find(inst->referring.begin(), inst->referring.end(), text) == inst->referring.end())
                inst->referring.push_back(text);
        }
    }
}

class RefcocoFormat : public Format {
public:
    const FormatInfo& info() const override {
        static const FormatInfo i = [] {
            FormatInfo f;
            f.name = "refcoco";
            f.description = "RefCOCO layout: refs.json (referring sentences per instance) and COCO instances.json";
            f.exports_folder = f.imports_folder = true;
            f.carries = {"referring", "attributes"};  // attributes: in its instances.json
            f.cannot_carry = {"scores, prompts, captions and episodes"};
            f.export_options = {{"val-fraction", FormatOption::Type::Number, "0",
                                 "share of images whose refs are in the val split (by a hash of the file name)"}};
            return f;
        }();
        return i;
    }

    void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                        ExportReport& report) const override {
        const FormatSettings s = checked_settings(info().export_options, options.settings, info().name);
        const double val_fraction = validation_fraction(s);
        CocoExportOptions co;
        co.progress = options.progress;
        CocoExportReport cr;
        const std::string instances = coco_to_json(project, co, &cr);
        std::set<int64_t> exported;
        const nlohmann::json written = nlohmann::json::parse(instances);
        for (const auto& a : written.at("annotations")) exported.insert(a.at("id").get<int64_t>());
        int64_t refs = 0, sentences = 0;
        const std::string refs_text = refs_json(project, exported, val_fraction, refs, sentences).dump() + "\n";
        OutputFolder folder(out, info().name);
        folder.write("instances.json", instances);
        folder.write("refs.json", refs_text);
        folder.commit();
        report = coco_export_report(info(), project, cr);
    }

    void import_into(Project& project, const std::string& in, const ImportOptions& options,
                     ImportReport& report) const override {
        checked_settings(info().import_options, options.settings, info().name);
        const std::string refs = refs_path(in);
        const std::string instances = (fs::path(in) / "instances.json").string();
        import_coco_with_extras(
            project, in, options,
            [&](Project& incoming, const CocoImportOptions& co, CocoImportReport& cr) {
                import_coco(incoming, instances, co, &cr);
            },
            [&](const CocoImportReport& cr, Project& incoming) { read_refs(refs, cr, incoming); }, report);
    }
};

}  // namespace

const Format& refcoco_format() {
    static const RefcocoFormat f;
    return f;
}

}  // namespace xs
