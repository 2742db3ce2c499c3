#pragma once
// Synthetic transformer-like ONNX models for the benchmark and its tests, written without PyTorch or the
// ONNX classes: protobuf wire format framed by hand, weights streamed to disk (never held in memory).
//
// The graph follows what torch's TorchScript exporter (torch 1.13, opset 17) writes for a BERT-like
// encoder: node names carry the module scope (`/encoder/layer.7/attention/self/MatMul`), helper chains
// (Shape/Gather/Unsqueeze/Concat, Constants) surround Reshapes, and some helpers carry no scope at all
// (`Constant_123`, `onnx::Gather_45`). The generator knows the true module of every node, helpers
// included, and can write it beside the model (`truthPath`) for the hierarchy tests.
#include <cstdint>
#include <string>
#include <vector>

namespace hsbench {

struct ModelSpec {
    int layers = 12;
    int hidden = 768;
    int ffn = 3072;
    int heads = 12;
    int vocab = 30522;
    int positions = 512;
    // Weights as external data in `<file name>.data` beside the model (sparse: zero bytes, not written).
    // Otherwise inline raw_data (deterministic bytes), which protobuf limits to 2 GB per model.
    bool external = false;
    std::string path;      // the .onnx file to write
    std::string truthPath; // optional: JSON {"nodes": {"<node name>": "<true module scope>"}}
};

struct ModelStats {
    std::size_t nodes = 0;
    std::size_t unscopedNodes = 0; // nodes whose name carries no torch scope
    std::size_t helperNodes = 0;   // Constant/Shape/Gather/Unsqueeze/Concat/Cast/Expand/... nodes
    std::size_t unscopedHelpers = 0;
    std::size_t initializers = 0;
    std::uint64_t weightBytes = 0;
    std::uint64_t fileBytes = 0; // the .onnx file
    std::uint64_t externalBytes = 0;
};

// Writes the model (and its external data and truth file when asked). Throws std::runtime_error on I/O
// errors or when inline weights would exceed protobuf's 2 GB limit.
ModelStats writeModel(const ModelSpec& spec);

// The weight bytes a spec produces (for choosing sizes without writing).
std::uint64_t weightBytesOf(const ModelSpec& spec);

} // namespace hsbench
