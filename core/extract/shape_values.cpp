#include "extract/shape_values.h"

#include <onnx/defs/tensor_proto_util.h>

#include <algorithm>
#include <cmath>
#include <exception>

namespace hs::extraction {

bool isInteger(std::int32_t t) {
    return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32 || t == onnx::TensorProto::BOOL ||
           t == onnx::TensorProto::INT8 || t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::INT16;
}

std::optional<Value> fromTensor(const onnx::TensorProto& t) {
    Value v;
    v.elemType = t.data_type();
    v.dims.assign(t.dims().begin(), t.dims().end());
    std::size_t n = 1;
    for (auto d : v.dims)
        n *= static_cast<std::size_t>(std::max<std::int64_t>(d, 0));
    if (n > kMaxElements || t.data_location() == onnx::TensorProto::EXTERNAL) return {};
    try {
        switch (t.data_type()) {
        case onnx::TensorProto::INT64:
            for (auto x : onnx::ParseData<std::int64_t>(&t))
                v.data.push_back(static_cast<double>(x));
            break;
        case onnx::TensorProto::INT32:
            for (auto x : onnx::ParseData<std::int32_t>(&t))
                v.data.push_back(x);
            break;
        case onnx::TensorProto::FLOAT:
            for (auto x : onnx::ParseData<float>(&t))
                v.data.push_back(x);
            break;
        case onnx::TensorProto::DOUBLE:
            for (auto x : onnx::ParseData<double>(&t))
                v.data.push_back(x);
            break;
        default:
            return {};
        }
    } catch (const std::exception&) {
        return {};
    }
    if (v.data.size() != n) return {};
    return v;
}

onnx::TensorProto toTensor(const std::string& name, const Value& v) {
    onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(v.elemType);
    for (auto d : v.dims)
        t.add_dims(d);
    for (double x : v.data) {
        switch (v.elemType) {
        case onnx::TensorProto::INT64:
            t.add_int64_data(static_cast<std::int64_t>(x));
            break;
        case onnx::TensorProto::FLOAT:
            t.add_float_data(static_cast<float>(x));
            break;
        case onnx::TensorProto::DOUBLE:
            t.add_double_data(x);
            break;
        default:
            t.add_int32_data(static_cast<std::int32_t>(x));
            break; // INT32, BOOL
        }
    }
    return t;
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const char* name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

std::int64_t intAttribute(const onnx::NodeProto& n, const char* name, std::int64_t fallback) {
    const auto* a = attribute(n, name);
    return a && a->has_i() ? a->i() : fallback;
}

std::optional<Value> binary(const Value& a, const Value& b, double (*op)(double, double), bool integer) {
    if (a.data.size() != b.data.size() && a.data.size() != 1 && b.data.size() != 1) return {};
    // The result has the larger count, and of equal counts the larger rank (scalar 8 - [x] is [8 - x]).
    const bool takeA =
        a.data.size() != b.data.size() ? a.data.size() > b.data.size() : a.dims.size() >= b.dims.size();
    Value out = takeA ? a : b;
    out.elemType = a.elemType;
    for (std::size_t k = 0; k < out.data.size(); ++k) {
        double x = a.data[a.data.size() == 1 ? 0 : k], y = b.data[b.data.size() == 1 ? 0 : k];
        double r = op(x, y);
        if (!std::isfinite(r)) return {};
        out.data[k] = integer ? std::trunc(r) : r;
    }
    return out;
}

std::optional<SliceAxis> sliceAxis(std::int64_t dim, double startValue, double endValue, std::int64_t step) {
    if (step == 0 || dim < 0) return {};
    const double size = static_cast<double>(dim);
    double b = startValue, e = endValue;
    if (b < 0) b += size;
    if (e < 0) e += size;
    if (step > 0) {
        b = std::clamp(b, 0.0, size);
        e = std::clamp(e, 0.0, size);
    } else {
        b = std::clamp(b, 0.0, size - 1);
        e = std::clamp(e, -1.0, size - 1);
    }
    const double span = step > 0 ? e - b : b - e;
    const double stride = static_cast<double>(step > 0 ? step : -step);
    SliceAxis axis;
    axis.start = static_cast<std::int64_t>(b);
    axis.step = step;
    axis.count = span <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(span / stride));
    return axis;
}

std::optional<std::vector<SliceAxis>> sliceAxes(const std::vector<std::int64_t>& dims, const Value* starts,
                                                const Value* ends, const Value* axes, const Value* steps) {
    if (!starts || !ends || starts->data.size() != ends->data.size()) return {};
    if ((axes && axes->data.size() != starts->data.size()) ||
        (steps && steps->data.size() != starts->data.size()))
        return {};
    const std::int64_t rank = static_cast<std::int64_t>(dims.size());
    std::vector<SliceAxis> out;
    for (auto d : dims)
        out.push_back({0, 1, d});
    for (std::size_t k = 0; k < starts->data.size(); ++k) {
        std::int64_t axis = axes ? static_cast<std::int64_t>(axes->data[k]) : static_cast<std::int64_t>(k);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis >= rank) return {};
        const std::int64_t step = steps ? static_cast<std::int64_t>(steps->data[k]) : 1;
        auto a = sliceAxis(dims[static_cast<std::size_t>(axis)], starts->data[k],
                           std::clamp(ends->data[k], -9.2e18, 9.2e18), step);
        if (!a) return {};
        out[static_cast<std::size_t>(axis)] = *a;
    }
    return out;
}

} // namespace hs::extraction
