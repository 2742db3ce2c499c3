#pragma once
// Formatting shared by the command-line tool's commands.
#include <cstdint>
#include <iomanip>
#include <sstream>
#include <string>

namespace hs::cli {

// "942.7 KiB": one decimal from KiB on.
inline std::string humanBytes(std::uint64_t bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, ++u;
    std::ostringstream out;
    out << std::fixed << std::setprecision(u ? 1 : 0) << v << " " << units[u];
    return out.str();
}

} // namespace hs::cli
