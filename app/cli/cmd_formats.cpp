// export / import in any format of core/formats, and formats (the list). The options of each format
// come from its description, so a new format needs nothing here.
#include <cstdio>
#include <filesystem>

#include "app/cli/command.h"
#include "app/cli/project_args.h"
#include "core/formats/format.h"
#include "core/formats/output_folder.h"
#include "core/formats/report_text.h"
#include "core/io/project_file.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace {

using xs::cli::one_positional;
using xs::cli::print_warnings;

// The format's options as --key [value] arguments.
xs::FormatSettings take_format_settings(xs::cli::Args& args, const std::vector<xs::FormatOption>& options) {
    xs::FormatSettings s;
    for (const xs::FormatOption& o : options) {
        if (o.type == xs::FormatOption::Type::Flag) {
            if (args.take_flag(o.key)) s[o.key] = "1";
        } else if (auto v = args.take(o.key)) {
            s[o.key] = *v;
        }
    }
    return s;
}

int run_export(xs::cli::Args& args) {
    const xs::Format& format = xs::find_format(args.require("format"));
    const std::string out = args.require("out");
    xs::ExportOptions opt;
    opt.settings = take_format_settings(args, format.info().export_options);
    const std::string project_path = one_positional(args, "PROJECT.json");
    const xs::Project project = xs::load_project(project_path);
    std::vector<xs::NamedInput> inputs = xs::cli::image_inputs(project, project_path);
    inputs.push_back({"project", project_path});
    xs::refuse_output_over_inputs("--out " + out, out, inputs);
    if (format.info().exports_folder) xs::refuse_folder_over_inputs("--out " + out, out, inputs);
    opt.images_dir = xs::cli::resolved_image_root(project, project_path).string();
    xs::ExportReport rep;
    format.export_project(project, out, opt, rep);
    print_warnings(rep.warnings);
    std::printf("exported %s to %s as %s: %d image(s), %lld instance(s), %lld skipped\n", project_path.c_str(),
                out.c_str(), format.info().name.c_str(), rep.images, static_cast<long long>(rep.instances),
                static_cast<long long>(rep.skipped));
    std::fputs(xs::loss_report_text(rep).c_str(), stdout);
    return 0;
}

int run_import(xs::cli::Args& args) {
    const xs::Format& format = xs::find_format(args.require("format"));
    const std::string images = args.require("images");
    const std::string project_path = args.require("project");
    xs::ImportOptions opt;
    opt.images_dir = images;
    opt.settings = take_format_settings(args, format.info().import_options);
    const std::string in = one_positional(args, "FILE_OR_DIR");
    xs::ImportReport rep;
    const bool existing = xs::cli::import_into_project_file(
        images, project_path, {format.info().name + " input", in}, "xsam-cli import",
        [&](xs::Project& project) { format.import_into(project, in, opt, rep); });
    print_warnings(rep.warnings);
    std::printf("imported %s (%s) into %s%s: %s\n", in.c_str(), format.info().name.c_str(), project_path.c_str(),
                existing ? " (existing project)" : "", xs::import_counts_text(rep).c_str());
    return 0;
}

void print_options(const char* when, const std::vector<xs::FormatOption>& options) {
    for (const xs::FormatOption& o : options) {
        const bool flag = o.type == xs::FormatOption::Type::Flag;
        std::printf("    %s --%s%s: %s%s\n", when, o.key.c_str(), flag ? "" : " VALUE", o.help.c_str(),
                    flag || o.default_value.empty() ? "" : (" (default " + o.default_value + ")").c_str());
    }
}

int run_formats(xs::cli::Args& args) {
    args.positionals();
    for (const xs::Format* f : xs::all_formats()) {
        const xs::FormatInfo& i = f->info();
        std::printf("%s: %s\n", i.name.c_str(), i.description.c_str());
        std::printf("    export writes %s; import reads %s\n", i.exports_folder ? "a folder" : "one file",
                    i.imports_folder ? "a folder" : "one file");
        for (const std::string& c : i.cannot_carry) std::printf("    cannot carry: %s\n", c.c_str());
        print_options("export", i.export_options);
        print_options("import", i.import_options);
    }
    return 0;
}

}  // namespace

XS_CLI_COMMAND("export",
               "export P.json --format F --out PATH [options of F]   Export a project (formats: xsam-cli formats)",
               run_export);
XS_CLI_COMMAND("import",
               "import FILE_OR_DIR --format F --images DIR --project P.json   Import into P (creates it or adds to it)",
               run_import);
XS_CLI_COMMAND("formats", "formats   List the export/import formats, what each cannot carry, and their options",
               run_formats);
