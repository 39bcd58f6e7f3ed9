#pragma once
// A folder export, all or nothing: every file is written into a staging folder beside the target
// ("<target>.tmp-<pid>-<n>"), and commit() swaps it in whole. Until then the target is as it was; a
// failed or cancelled export removes the staging folder, and one left by a killed process is removed
// by the next export to the same target.
//
//   xs::OutputFolder out("exports/yolo", "yolo-seg");     // refuses a folder it must not replace
//   out.write("data.yaml", text);
//   out.link("images/a.jpg", "/data/birds/a.jpg");
//   out.commit();
#include <string>
#include <vector>

#include "core/io/output_guard.h"

namespace xs {

class OutputFolder {
public:
    // The target may be missing, an empty folder, or an earlier export of the same format (it holds
    // the marker file kExportMarker naming it). Anything else is refused with xs::Error, nothing
    // written: a file, or a folder holding other things (the image folder, say).
    OutputFolder(std::string target, std::string format_name);
    ~OutputFolder();  // removes the staging folder unless committed
    OutputFolder(const OutputFolder&) = delete;
    OutputFolder& operator=(const OutputFolder&) = delete;

    // `relative` uses '/' and stays inside the folder; parent folders are created.
    void write(const std::string& relative, const std::string& bytes);
    // A symbolic link to an absolute path (the images of YOLO and VOC exports are linked, not copied).
    void link(const std::string& relative, const std::string& to);
    // Syncs everything and swaps the staging folder in; the earlier export, if any, is removed.
    void commit();
    const std::string& target() const { return target_; }

    static constexpr const char* kExportMarker = "xsam-export.json";

private:
    std::string staged(const std::string& relative);
    std::string target_;
    std::string format_;
    std::string staging_;
    std::vector<std::string> written_;
    bool committed_ = false;
};

// True when a folder with something in it is at `target` that this process did not commit as it is
// now (never exported there, or someone rewrote the export since: its marker file changed): a program
// that would replace it should ask first. False for a missing or empty folder and for this process's
// own last export there (the counterpart of needs_overwrite_confirmation for files).
bool folder_needs_overwrite_confirmation(const std::string& target);

// Refuses (xs::Error, naming the input) a folder output that holds or is one of the inputs.
void refuse_folder_over_inputs(const std::string& output_label, const std::string& folder,
                               const std::vector<NamedInput>& inputs);

}  // namespace xs
