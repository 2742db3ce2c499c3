#pragma once
// Argument handling shared by the command-line tool's commands.
#include <cstddef>
#include <iostream>
#include <string>
#include <vector>

namespace hs::cli {

// The value of the option at args[i], into `into`, moving i past it; false when the option comes last.
inline bool optionValue(const std::vector<std::string>& args, std::size_t& i, std::string& into) {
    if (i + 1 >= args.size()) return false;
    into = args[++i];
    return true;
}

// A usage error: the message, then the command's help, on stderr. Returns the exit code, 2.
inline int usageError(const std::string& message, const char* help) {
    std::cerr << "hierscope-cli: " << message << "\n\n" << help;
    return 2;
}

} // namespace hs::cli
