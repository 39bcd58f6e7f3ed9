#pragma once
// File names in the project's JSON files (project, COCO exports, batch journal and output), stored
// losslessly whatever bytes they hold (core/util/utf8.h):
//
//   "file_name": "caf\ufffd.jpg", "file_name_bytes": "caf%E9.jpg"
//
// `<key>` always holds valid UTF-8: the name itself, or for a name that is not valid UTF-8 the name
// with each invalid byte shown as U+FFFD, so tools that only display it still can. Only then
// `<key>_bytes` is added with the exact bytes (every invalid byte and every '%' as %HH). Readers take
// `<key>_bytes` when present; files with valid UTF-8 names are exactly as before.
#include <string>

#include "core/io/json_read.h"
#include "core/util/utf8.h"

namespace xs::jsonr {

template <typename Json>
void put_name(Json& object, const std::string& key, const std::string& name) {
    object[key] = utf8_display(name);
    if (!is_valid_utf8(name)) object[key + "_bytes"] = escape_name_bytes(name);
}

// The name stored under `key` (see above). Throws xs::Error naming the field when `<key>_bytes` is
// not a valid escaping or disagrees with `key` (one of them edited by hand).
inline std::string get_name(const json& object, const std::string& key, const std::string& source,
                            const std::string& path) {
    const std::string shown = get_string(field(object, key.c_str(), source, path), source, join(path, key));
    const std::string bytes_key = key + "_bytes";
    if (!object.contains(bytes_key)) return shown;
    const std::string escaped = get_string(object.at(bytes_key), source, join(path, bytes_key));
    const std::optional<std::string> name = unescape_name_bytes(escaped);
    if (!name) fail(source, join(path, bytes_key), "not a valid escaping (%HH for each byte that is not UTF-8, and for '%')");
    if (utf8_display(*name) != shown) {
        fail(source, join(path, bytes_key),
             "names \"" + utf8_display(*name) + "\", but " + key + " is \"" + shown + "\" (edit both or neither)");
    }
    return *name;
}

}  // namespace xs::jsonr
