#pragma once
// Argument handling shared by the command-line tool's commands.
#include "common/display_text.h"
#include "common/error.h"

#include <cstddef>
#include <exception>
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

// Runs a command's body and returns its exit code. An hs::Error is bad input said in our words (exit 1);
// any other exception is a failure the core did not foresee, said as such about `model` with the
// library's text quoted (exit 1).
template <typename Body> int reportingErrors(const std::string& model, Body&& body) {
    try {
        return body();
    } catch (const hs::Error& e) {
        std::cerr << "hierscope-cli: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "hierscope-cli: " << model << ": unexpected failure " << hs::quoteInput(e.what(), 200)
                  << "\n";
        return 1;
    }
}

} // namespace hs::cli
