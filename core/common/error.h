#pragma once
// One exception type for every user-facing failure of the core: its message is a complete sentence
// that names the file and the problem, ready for a CLI line or a GUI dialog.
#include <stdexcept>
#include <string>

namespace hs {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

} // namespace hs
