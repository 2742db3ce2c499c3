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

// "1 node", "3 nodes": the count and the noun, plural unless the count is 1 (regular nouns only).
inline std::string counted(std::uint64_t count, const std::string& noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// "1,234,567": digits grouped by thousands, for parameter counts a person compares at a glance.
inline std::string grouped(std::uint64_t value) {
    std::string digits = std::to_string(value);
    for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3)
        digits.insert(static_cast<std::size_t>(at), ",");
    return digits;
}

} // namespace hs::cli
