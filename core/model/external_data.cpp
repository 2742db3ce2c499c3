// External data of initializers (loadModel): the location, offset and length entries checked and the
// file resolved inside the model's folder.
#include "model/external_data.h"

#include "common/display_text.h"
#include "common/error.h"

#include <algorithm>
#include <cstdint>
#include <sys/stat.h>

namespace hs {

namespace {

// A decimal count as written in external_data ("-1" and "1e3" are refused: std::stoull would take
// the first as 2^64-1).
bool parseCount(const std::string& text, std::uint64_t& out) {
    if (text.empty() || text.size() > 20) return false;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return false;
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

std::string tensorText(const Initializer& init) {
    return "tensor " + quoteInput(init.name);
}

} // namespace

ExternalData::ExternalData(std::string modelPath, std::filesystem::path folder)
    : modelPath_(std::move(modelPath)), folder_(std::move(folder)) {}

void ExternalData::resolve(Initializer& init, const StringPairs& entries) {
    bool hasLength = false;
    for (const auto& [key, value] : entries) {
        bool valid = true;
        if (key == "location")
            init.externalLocation = value;
        else if (key == "offset")
            valid = parseCount(value, init.externalOffset);
        else if (key == "length")
            valid = parseCount(value, init.externalLength), hasLength = true;
        if (!valid)
            throw Error(modelPath_ + ": " + tensorText(init) + " has an invalid external-data " + key + " " +
                        quoteInput(value) + " (not a byte count)");
    }
    if (init.externalLocation.empty())
        throw Error(modelPath_ + ": " + tensorText(init) + " is stored externally but names no location");
    std::string location = "external data location " + quoteInput(init.externalLocation);
    if (init.externalLocation.find('\0') != std::string::npos)
        throw Error(modelPath_ + ": " + location + " of " + tensorText(init) + " contains a NUL byte");
    std::filesystem::path path(init.externalLocation);
    std::filesystem::path normal = path.lexically_normal();
    if (path.is_absolute() || normal.empty() || *normal.begin() == "..")
        throw Error(modelPath_ + ": " + location + " of " + tensorText(init) + " escapes the model's folder");
    std::filesystem::path full = folder_ / normal;
    if (!staysInFolder(full))
        throw Error(modelPath_ + ": " + location + " of " + tensorText(init) +
                    " escapes the model's folder (through a link)");
    init.externalPath = full.string();
    std::uint64_t fileSize = sizeOfFile(init);
    if (!hasLength) init.externalLength = impliedLength(init, fileSize);
    if (init.externalOffset > fileSize || init.externalLength > fileSize - init.externalOffset)
        throw Error(modelPath_ + ": external data file " + quoteInput(init.externalLocation) +
                    " is too short for " + tensorText(init) + " (needs " +
                    std::to_string(init.externalLength) + " bytes from offset " +
                    std::to_string(init.externalOffset) + ", file has " + std::to_string(fileSize) + ")");
}

// Whether the path, its links followed, lies inside the model's folder. Asked once per file: the
// initializers of a model share a few (each answer costs a readlink per part of the path, and 400
// weights in one file took 6 ms of a 8 ms open).
bool ExternalData::staysInFolder(const std::filesystem::path& full) {
    const auto [known, added] = inFolder_.try_emplace(full.string(), false);
    if (!added) return known->second;
    std::error_code ec;
    if (!realFolderKnown_)
        realFolder_ = std::filesystem::weakly_canonical(folder_, ec), realFolderKnown_ = true;
    const std::filesystem::path rel =
        std::filesystem::weakly_canonical(full, ec).lexically_relative(realFolder_);
    return known->second = !rel.empty() && *rel.begin() != "..";
}

// Without a length: what the dims and type need, or the rest of the file for strings.
std::uint64_t ExternalData::impliedLength(const Initializer& init, std::uint64_t fileSize) const {
    std::size_t width = dataTypeSize(init.dataType);
    if (!width) return fileSize - std::min(fileSize, init.externalOffset);
    std::uint64_t bytes = width;
    for (auto d : init.dims) {
        if (d < 0 || (d > 0 && bytes > UINT64_MAX / static_cast<std::uint64_t>(d)))
            throw Error(modelPath_ + ": " + tensorText(init) + " has invalid dimensions for external data");
        bytes *= static_cast<std::uint64_t>(d);
    }
    return bytes;
}

std::uint64_t ExternalData::sizeOfFile(const Initializer& init) {
    auto found = sizes_.find(init.externalPath);
    if (found != sizes_.end()) return found->second;
    struct stat st {};
    if (::stat(init.externalPath.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        throw Error(modelPath_ + ": missing external data file " + quoteInput(init.externalLocation) + " (" +
                    tensorText(init) + ", looked for " + quoteInput(init.externalPath, 200) + ")");
    auto size = static_cast<std::uint64_t>(st.st_size);
    sizes_.emplace(init.externalPath, size);
    return size;
}

} // namespace hs
