// COCO instance segmentation, exactly as core/coco writes and reads it (export-coco / import-coco).
#include "core/coco/coco.h"
#include "core/formats/export_support.h"
#include "core/formats/import_support.h"

namespace xs {

namespace {

class CocoFormat : public Format {
public:
    const FormatInfo& info() const override {
        static const FormatInfo i = [] {
            FormatInfo f;
            f.name = "coco";
            f.description = "COCO instance segmentation JSON (RLE, or polygons where they are exact)";
            f.carries = {"attributes"};  // iscrowd and CVAT's per-annotation "attributes" object
            f.cannot_carry = {"scores, prompts, referring sentences, captions and episodes (refcoco, gcg and vgd carry them)"};
            f.export_options = {{"polygons", FormatOption::Type::Flag, "",
                                 "write polygons where they give back the mask pixel for pixel (RLE otherwise)"}};
            return f;
        }();
        return i;
    }

    void export_project(const Project& project, const std::string& out, const ExportOptions& options,
                        ExportReport& report) const override {
        const FormatSettings s = checked_settings(info().export_options, options.settings, info().name);
        CocoExportOptions co;
        co.polygons = s.at("polygons") == "1";
        co.progress = options.progress;
        CocoExportReport cr;
        write_coco(project, out, co, &cr);
        report = coco_export_report(info(), project, cr);
    }

    void import_into(Project& project, const std::string& in, const ImportOptions& options,
                     ImportReport& report) const override {
        checked_settings(info().import_options, options.settings, info().name);
        import_progress(options, 0, 1);
        CocoImportOptions co;
        co.images_dir = options.images_dir;
        co.check_images = options.check_images;
        CocoImportReport cr;
        import_coco(project, in, co, &cr);
        report.images_added += cr.images_added;
        report.images_matched += cr.images_matched;
        report.categories_added += cr.categories_added;
        report.categories_matched += cr.categories_matched;
        report.instances_added += cr.instances_added;
        report.warnings.insert(report.warnings.end(), cr.warnings.begin(), cr.warnings.end());
        if (options.progress) options.progress(1, 1);  // done: too late to cancel
    }
};

}  // namespace

const Format& coco_format() {
    static const CocoFormat f;
    return f;
}

}  // namespace xs
