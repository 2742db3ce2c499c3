#pragma once
// What a file that is not an ONNX model looks like, for the message that refuses it: a PNG renamed
// .onnx should say "not an ONNX model: it looks like a PNG image", not a protobuf wire error.
#include <string>
#include <string_view>

namespace hs {

// "a PNG image", "a ZIP archive (a PyTorch .pt checkpoint is one)", ... when the first bytes carry a
// known file signature no ONNX file starts with; empty otherwise.
std::string signatureKind(std::string_view head);

// "text" (or "JSON text") when the first bytes are printable UTF-8 text; empty otherwise. Asked only
// once the protobuf reader failed: text is never a valid ModelProto worth showing as one.
std::string textKind(std::string_view head);

} // namespace hs
