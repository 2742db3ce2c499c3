#pragma once
// External data of initializers, for loadModel: `location` must stay inside the model's folder (no
// absolute path, no `..`, no link out, no NUL), `offset` and `length` are decimal byte counts (so "-1"
// is refused, not read as 2^64-1), and the file must hold the bytes. Messages name the model and quote
// names and locations through hs::quoteInput.
#include "model/model.h"

#include <filesystem>
#include <string>
#include <unordered_map>

namespace hs {

class ExternalData {
public:
    ExternalData(std::string modelPath, std::filesystem::path folder);
    // Fills init's external* fields from its external_data entries; throws hs::Error.
    void resolve(Initializer& init, const StringPairs& entries);

private:
    std::uint64_t impliedLength(const Initializer& init, std::uint64_t fileSize) const;
    std::uint64_t sizeOfFile(const Initializer& init);     // cached per file
    bool staysInFolder(const std::filesystem::path& full); // cached per file

    std::string modelPath_;
    std::filesystem::path folder_;
    std::unordered_map<std::string, std::uint64_t> sizes_;
    std::unordered_map<std::string, bool> inFolder_;
    std::filesystem::path realFolder_; // the folder, its links followed (once asked)
    bool realFolderKnown_ = false;
};

} // namespace hs
