#pragma once
// Text taken from an input file (node names, keys, paths, locations) as it may appear in a message or
// in a file we write: bytes that are not valid UTF-8, control characters and NULs are shown escaped
// (`\xFF`, `\0`), never cut at or refused, and messages quote a bounded part of long texts.
#include <cstddef>
#include <string>
#include <string_view>

namespace hs {

// Valid UTF-8 with every invalid byte written as the four characters `\xNN`; valid text is unchanged.
// For names written to JSON: a model with a 0xFF byte in a node name can still be tagged and saved.
std::string utf8Escaped(std::string_view raw);

// For messages: `'name'` with invalid UTF-8 and control characters (NUL included) escaped, at most
// `maxChars` characters of the text (then `...` and how many bytes were left out).
std::string quoteInput(std::string_view raw, std::size_t maxChars = 80);

} // namespace hs
