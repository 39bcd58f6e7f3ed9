#pragma once
// File names are bytes. Linux allows any byte but '/' and NUL in a name, so a name need not be valid
// UTF-8 (a photo copied from an old Latin-1 camera card: "caf\xe9.jpg"), while JSON text must be.
// These helpers let every JSON file of the project store such names losslessly:
//
//   utf8_display("caf\xe9.jpg")       == "caf\xef\xbf\xbd.jpg"   // "caf�.jpg": readable, valid UTF-8
//   escape_name_bytes("caf\xe9.jpg")  == "caf%E9.jpg"             // exact and reversible
//   unescape_name_bytes("caf%E9.jpg") == "caf\xe9.jpg"
//
// The escaping ("name bytes"): every byte that is not part of a valid UTF-8 sequence, and every '%',
// is written as '%' followed by two upper-case hex digits; everything else is kept as it is. A name
// that is valid UTF-8 and has no '%' is its own escaping.
#include <optional>
#include <string>

namespace xs {

bool is_valid_utf8(const std::string& text);

// The text with each byte that is not part of a valid UTF-8 sequence replaced by U+FFFD. Valid
// UTF-8 comes back unchanged.
std::string utf8_display(const std::string& text);

std::string escape_name_bytes(const std::string& name);
// nullopt when `escaped` is not a valid escaping (a '%' without two hex digits after it, or
// invalid UTF-8 outside the escapes).
std::optional<std::string> unescape_name_bytes(const std::string& escaped);

}  // namespace xs
