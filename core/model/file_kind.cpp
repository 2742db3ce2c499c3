#include "model/file_kind.h"

#include <array>
#include <cstddef>

namespace hs {

namespace {

struct Signature {
    std::string_view magic;
    const char* kind;
};

// Signatures whose first byte cannot start a ModelProto a real exporter writes (its first field is
// ir_version, tag 0x08), so matching them never refuses an ONNX file.
const std::array<Signature, 11> kSignatures = {{
    {std::string_view("\x89PNG\r\n\x1a\n", 8), "a PNG image"},
    {std::string_view("\xff\xd8\xff", 3), "a JPEG image"},
    {"GIF8", "a GIF image"},
    {std::string_view("PK\x03\x04", 4), "a ZIP archive (a PyTorch .pt checkpoint or a .npz is one)"},
    {std::string_view("PK\x05\x06", 4), "an empty ZIP archive"},
    {std::string_view("\x1f\x8b", 2), "a gzip-compressed file (unpack it first)"},
    {"%PDF", "a PDF document"},
    {std::string_view("\x7f"
                      "ELF",
                      4),
     "an ELF executable or library"},
    {std::string_view("\x89HDF\r\n\x1a\n", 8), "an HDF5 file (a Keras .h5 model is one)"},
    {std::string_view("\x93NUMPY", 6), "a NumPy array (.npy)"},
    {std::string_view("\x80\x02", 2), "a Python pickle (a PyTorch checkpoint of the old format)"},
}};

bool isText(std::string_view head) {
    std::size_t i = 0;
    while (i < head.size()) {
        const auto c = static_cast<unsigned char>(head[i]);
        if (c >= 0x80) { // a UTF-8 sequence: a lead byte and its continuation bytes
            const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
            if (length == 0) return false;
            for (std::size_t k = 1; k < length; ++k)
                if (i + k < head.size() && (static_cast<unsigned char>(head[i + k]) & 0xC0) != 0x80)
                    return false;
            i += length;
            continue;
        }
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
        ++i;
    }
    return !head.empty();
}

} // namespace

std::string signatureKind(std::string_view head) {
    for (const Signature& s : kSignatures)
        if (head.substr(0, s.magic.size()) == s.magic) return s.kind;
    return {};
}

std::string textKind(std::string_view head) {
    head = head.substr(0, 512);
    if (!isText(head)) return {};
    const std::size_t first = head.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (head[first] == '{' || head[first] == '['))
        return "JSON text (a sidecar is opened with Load Sidecar or --sidecar)";
    return "text";
}

} // namespace hs
