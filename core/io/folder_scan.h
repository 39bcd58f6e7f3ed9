#pragma once
// The image-folder rules: one scanner for the GUI's image list and xsam-cli batch.
//
//   xs::ImageFolder f = xs::scan_image_folder("/data/birds");   // throws xs::Error if not a folder
//   for (const std::string& name : f.files) ...                 // "a/img2.png" before "a/img10.png"
//
// - Image files by extension, case-insensitive: jpg jpeg png bmp tif tiff webp jp2 pgm ppm pbm.
// - Every sub-folder; hidden files and folders (name starting with '.') are left out.
// - A symbolic link to a folder is followed only when its target lies inside the scanned folder and
//   is not one of the folders on the way down to the link (a loop); links that leave the folder or
//   loop are listed in `links_not_followed`. Links to files are listed like files.
// - Names are the file system's bytes, '/'-separated and relative to the root: a name that is not
//   valid UTF-8 is kept exactly as it is (never dropped, never replaced).
// - Natural order (natural_compare): runs of ASCII digits compare by value ("img2" < "img10"),
//   everything else by Unicode code point after simple case folding (case_fold), bytes that are not
//   UTF-8 after every code point by their value; ties are broken by plain byte order, so the order is
//   total and the same on every machine and locale.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xs {

struct ImageFolder {
    std::vector<std::string> files;               // naturally sorted
    std::vector<std::string> links_not_followed;  // folder links leaving the folder or looping
    std::vector<std::string> unreadable_folders;  // sub-folders that could not be listed
    bool cancelled = false;                       // stopped early: `files` is what was found so far
};

// Throws xs::Error naming the root when it is missing, not a folder or cannot be listed. Stops early
// when *cancel becomes true; progress(found) is called every few hundred files and at the end.
ImageFolder scan_image_folder(const std::string& root, const std::atomic<bool>* cancel = nullptr,
                              const std::function<void(int found)>& progress = {});

bool is_image_file_name(const std::string& name);
std::string image_file_patterns();  // "*.jpg *.jpeg *.png ..." for messages

// <0, 0, >0; 0 only for names equal after case folding (natural_sort then orders them by bytes).
int natural_compare(const std::string& a, const std::string& b);
void natural_sort(std::vector<std::string>& names);

// Unicode simple case folding (CaseFolding.txt, status C and S) for Latin (Basic, Latin-1, Extended-A
// and -B, Extended Additional), Greek, Cyrillic (with the Supplement), Armenian and fullwidth Latin
// letters; every other code point folds to itself.
char32_t case_fold(char32_t c);
// A name as code points after case_fold, as natural_compare sees it (each byte that is not valid
// UTF-8 as 0x110000 + byte): what searching names without regard to case compares.
std::u32string folded_name(const std::string& name);

}  // namespace xs
