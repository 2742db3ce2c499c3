// The only places the core touches the ONNX library's own classes (heavy headers): kept in this
// translation unit so the rest of the core compiles quickly.
#include "model/model.h"

#include <onnx/onnx_pb.h>

namespace hs {

std::int64_t knownIrVersion() {
    return onnx::IR_VERSION;
}

} // namespace hs
