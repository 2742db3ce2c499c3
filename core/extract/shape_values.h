#pragma once
// Small integer tensors as shape arithmetic computes them (extract/shape_arithmetic.cpp): values read
// from and written to TensorProtos, elementwise operations, and the axes of a Slice as Operators.md
// defines them. Internal to core/extract.
#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hs::extraction {

constexpr std::size_t kMaxElements = 64; // shape vectors, not data

struct Value {
    std::int32_t elemType = onnx::TensorProto::INT64;
    std::vector<std::int64_t> dims;
    std::vector<double> data;
};

bool isInteger(std::int32_t t);
// The tensor's value when it is small (kMaxElements at most), inline and of a type computed here.
std::optional<Value> fromTensor(const onnx::TensorProto& t);
onnx::TensorProto toTensor(const std::string& name, const Value& v);

const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const char* name);
std::int64_t intAttribute(const onnx::NodeProto& n, const char* name, std::int64_t fallback);

// Elementwise over two values where one is a single element or both have the same count.
std::optional<Value> binary(const Value& a, const Value& b, double (*op)(double, double), bool integer);

// One axis of a Slice as Operators.md defines it: start and end made positive and clamped (differently
// for negative steps), the count of elements taken. torch writes F.pad's pads reversed (step -1).
struct SliceAxis {
    std::int64_t start = 0, step = 1, count = 0;
};
std::optional<SliceAxis> sliceAxis(std::int64_t dim, double startValue, double endValue, std::int64_t step);
// The axes, starts, ends and steps of a Slice (inputs 1 to 4, all known), per axis of a rank-`rank` input.
std::optional<std::vector<SliceAxis>> sliceAxes(const std::vector<std::int64_t>& dims, const Value* starts,
                                                const Value* ends, const Value* axes, const Value* steps);

} // namespace hs::extraction
