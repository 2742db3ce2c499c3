// Hierscope's own type rules (core/extract/type_rules.h, issue 19): element types where the schema fixes
// them, shapes where the rule is simple, nothing made up where it is not.
#include "extract/type_rules.h"

#include <QtTest>

using namespace hs;

namespace {

constexpr std::int32_t kFloat = 1, kUint8 = 2, kInt8 = 3, kInt32 = 6, kInt64 = 7, kBool = 9, kFloat16 = 10;

TensorType tensor(std::int32_t elem, std::vector<std::int64_t> dims) {
    TensorType t;
    t.elemType = elem;
    t.hasShape = true;
    for (auto d : dims)
        t.dims.push_back(d >= 0 ? Dim{d, {}} : Dim{});
    return t;
}

TensorType symbolic(std::int32_t elem, std::vector<std::string> dims) {
    TensorType t;
    t.elemType = elem;
    t.hasShape = true;
    for (const auto& d : dims) {
        Dim dim;
        if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0])))
            dim.value = std::stoll(d);
        else if (d != "?")
            dim.param = d;
        t.dims.push_back(dim);
    }
    return t;
}

OpSignature op(const std::string& type, std::vector<TensorType> inputs, std::size_t outputs = 1,
               const std::string& domain = {}) {
    OpSignature s;
    s.opType = type;
    s.domain = domain;
    s.opset = domain.empty() ? 18 : 1;
    s.present.assign(inputs.size(), true);
    s.inputs = std::move(inputs);
    s.outputs = outputs;
    return s;
}

std::string text(const TensorType& t) {
    return formatType(t);
}

} // namespace

class TestTypeRules : public QObject {
    Q_OBJECT
private slots:
    void elementTypeExceptions() {
        // [ops] Shape/Size int64, comparisons bool, Cast's `to`, QuantizeLinear's zero point.
        QCOMPARE(text(ruleOutputTypes(op("Shape", {tensor(kFloat, {2, 3, 4})}))[0]), std::string("int64[3]"));
        QCOMPARE(text(ruleOutputTypes(op("Size", {tensor(kFloat, {2, 3})}))[0]), std::string("int64[]"));
        QCOMPARE(text(ruleOutputTypes(op("Less", {tensor(kFloat, {2, 1}), tensor(kFloat, {3})}))[0]),
                 std::string("bool[2,3]"));
        OpSignature cast = op("Cast", {tensor(kFloat, {4})});
        cast.ints["to"] = kFloat16;
        QCOMPARE(text(ruleOutputTypes(cast)[0]), std::string("float16[4]"));
        QCOMPARE(ruleOutputTypes(
                     op("QuantizeLinear", {tensor(kFloat, {4}), tensor(kFloat, {}), tensor(kInt8, {})}))[0]
                     .elemType,
                 kInt8);
        OpSignature noZeroPoint = op("QuantizeLinear", {tensor(kFloat, {4}), tensor(kFloat, {})});
        QCOMPARE(ruleOutputTypes(noZeroPoint)[0].elemType, kUint8); // default zero point: uint8
        QCOMPARE(
            ruleOutputTypes(op("DequantizeLinear", {tensor(kInt8, {4}), tensor(kFloat16, {})}))[0].elemType,
            kFloat16);
        QCOMPARE(
            ruleOutputTypes(op("Where", {tensor(kBool, {2}), tensor(kInt64, {2}), tensor(kInt64, {1})}))[0]
                .elemType,
            kInt64);
        QCOMPARE(ruleOutputTypes(op("IsNaN", {tensor(kFloat, {5})}))[0].elemType, kBool);
    }

    void broadcastingKeepsWhatIsKnown() {
        // numpy rules: a 1 takes the other side, equal symbols stay, different unknowns are not guessed.
        auto out = ruleOutputTypes(
            op("Add", {symbolic(kFloat, {"batch", "seq", "32"}), symbolic(kFloat, {"1", "seq", "1"})}))[0];
        QCOMPARE(text(out), std::string("float[batch,seq,32]"));
        out = ruleOutputTypes(op("Mul", {symbolic(kFloat, {"a", "4"}), symbolic(kFloat, {"b", "4"})}))[0];
        QCOMPARE(out.dims.size(), std::size_t{2});
        QVERIFY(out.dims[0].param.empty() && out.dims[0].value < 0); // a or b: unknown, not one of them
        QCOMPARE(out.dims[1].value, std::int64_t{4});
        // Unknown rank on one side: element type only.
        TensorType shapeless;
        shapeless.elemType = kFloat;
        out = ruleOutputTypes(op("Add", {shapeless, tensor(kFloat, {3})}))[0];
        QCOMPARE(out.elemType, kFloat);
        QVERIFY(!out.hasShape);
    }

    void newOpsetForms() {
        // Split-18 with num_outputs: equal parts, the last smaller.
        OpSignature split = op("Split", {tensor(kFloat, {2, 7})}, 3);
        split.ints["axis"] = 1;
        auto parts = ruleOutputTypes(split);
        QCOMPARE(text(parts[0]), std::string("float[2,3]"));
        QCOMPARE(text(parts[2]), std::string("float[2,1]"));
        // ReduceMean-18: axes are an input (values unknown here): keepdims keeps the rank, dims unknown.
        auto mean = ruleOutputTypes(op("ReduceMean", {tensor(kFloat, {2, 4, 6}), tensor(kInt64, {1})}))[0];
        QCOMPARE(mean.dims.size(), std::size_t{3});
        QVERIFY(mean.dims[2].value < 0);
        OpSignature dropped = op("ReduceMax", {tensor(kFloat, {2, 4, 6}), tensor(kInt64, {1})});
        dropped.ints["keepdims"] = 0;
        QCOMPARE(ruleOutputTypes(dropped)[0].dims.size(), std::size_t{2}); // one axis (the input's length)
        // GroupNormalization keeps the input.
        QCOMPARE(
            text(ruleOutputTypes(op("GroupNormalization", {tensor(kFloat, {2, 4, 3}), tensor(kFloat, {2}),
                                                           tensor(kFloat, {2})}))[0]),
            std::string("float[2,4,3]"));
        // Constant-19 from its tensor; ConstantOfShape's rank from its input's length.
        OpSignature constant = op("Constant", {});
        constant.tensors["value"] = tensor(kInt64, {3});
        QCOMPARE(text(ruleOutputTypes(constant)[0]), std::string("int64[3]"));
        QCOMPARE(ruleOutputTypes(op("ConstantOfShape", {tensor(kInt64, {4})}))[0].dims.size(),
                 std::size_t{4});
    }

    void valuesTheFileFixes() {
        // Axes, split sizes and shapes as inputs (opset 13/18+): when an initializer or Constant gives them.
        OpSignature unsqueeze = op("Unsqueeze", {symbolic(kFloat, {"b", "5"}), tensor(kInt64, {1})});
        unsqueeze.values[1] = {1};
        QCOMPARE(text(ruleOutputTypes(unsqueeze)[0]), std::string("float[b,1,5]"));
        OpSignature squeeze = op("Squeeze", {symbolic(kFloat, {"b", "1", "5"}), tensor(kInt64, {1})});
        squeeze.values[1] = {-2};
        QCOMPARE(text(ruleOutputTypes(squeeze)[0]), std::string("float[b,5]"));
        OpSignature reshape = op("Reshape", {tensor(kFloat, {2, 3, 4}), tensor(kInt64, {3})});
        reshape.values[1] = {0, -1, 2};
        QCOMPARE(text(ruleOutputTypes(reshape)[0]), std::string("float[2,6,2]"));
        OpSignature reduce = op("ReduceMax", {symbolic(kFloat, {"b", "5", "7"}), tensor(kInt64, {1})});
        reduce.ints["keepdims"] = 0;
        reduce.values[1] = {-1};
        QCOMPARE(text(ruleOutputTypes(reduce)[0]), std::string("float[b,5]"));
        reduce.ints["keepdims"] = 1;
        QCOMPARE(text(ruleOutputTypes(reduce)[0]), std::string("float[b,5,1]"));
        OpSignature split = op("Split", {tensor(kFloat, {2, 7}), tensor(kInt64, {2})}, 2);
        split.ints["axis"] = 1;
        split.values[1] = {5, 2};
        QCOMPARE(text(ruleOutputTypes(split)[1]), std::string("float[2,2]"));
    }

    void contribOps() {
        // [contrib] EmbedLayerNormalization: (batch, sequence, hidden of the word embedding), int32 mask.
        auto embed =
            ruleOutputTypes(op("EmbedLayerNormalization",
                               {symbolic(kInt32, {"batch", "seq"}), symbolic(kInt32, {"batch", "seq"}),
                                tensor(kFloat, {64, 32}), tensor(kFloat, {16, 32})},
                               3, "com.microsoft"));
        QCOMPARE(text(embed[0]), std::string("float[batch,seq,32]"));
        QCOMPARE(text(embed[1]), std::string("int32[batch]"));
        QCOMPARE(text(embed[2]), std::string("float[batch,seq,32]"));
        // Attention: output (batch, sequence, v_hidden = a third of the packed weights), present of rank 5.
        OpSignature attention =
            op("Attention",
               {symbolic(kFloat, {"b", "s", "32"}), tensor(kFloat, {32, 96}), tensor(kFloat, {96}),
                symbolic(kInt32, {"b", "t"}), symbolic(kFloat, {"2", "b", "4", "p", "8"})},
               2, "com.microsoft");
        attention.ints["num_heads"] = 4;
        auto att = ruleOutputTypes(attention);
        QCOMPARE(text(att[0]), std::string("float[b,s,32]"));
        QCOMPARE(text(att[1]), std::string("float[2,b,4,?,8]"));
        // SkipLayerNormalization: output like the input, mean/inv_std_var float, the sum like the input.
        auto skip = ruleOutputTypes(op("SkipLayerNormalization",
                                       {tensor(kFloat16, {1, 3, 8}), tensor(kFloat16, {1, 3, 8}),
                                        tensor(kFloat16, {8}), tensor(kFloat16, {8})},
                                       4, "com.microsoft"));
        QCOMPARE(text(skip[0]), std::string("float16[1,3,8]"));
        QCOMPARE(skip[1].elemType, kFloat);
        QCOMPARE(text(skip[3]), std::string("float16[1,3,8]"));
        // FusedMatMul with transB.
        OpSignature fused =
            op("FusedMatMul", {tensor(kFloat, {2, 3, 5}), tensor(kFloat, {7, 5})}, 1, "com.microsoft");
        fused.ints["transB"] = 1;
        QCOMPARE(text(ruleOutputTypes(fused)[0]), std::string("float[2,3,7]"));
        QCOMPARE(ruleOutputTypes(op("FastGelu", {tensor(kFloat, {2})}, 1, "com.microsoft"))[0].elemType,
                 kFloat);
    }

    void nchwcLayoutOps() {
        // ONNX Runtime's NCHWc ops: the input's type and rank, channels padded (dims unknown).
        auto conv = ruleOutputTypes(op("Conv", {tensor(kFloat, {1, 8, 4, 4}), tensor(kFloat, {8, 8, 1, 1})},
                                       1, "com.microsoft.nchwc"))[0];
        QCOMPARE(text(conv), std::string("float[?,?,?,?]"));
        QVERIFY(hasTypeRule("ReorderOutput", "com.microsoft.nchwc"));
    }

    void unknownOpsGiveNothing() {
        auto out = ruleOutputTypes(op("Mystery", {tensor(kFloat, {2})}, 2, "example.custom"));
        QCOMPARE(out.size(), std::size_t{2});
        QCOMPARE(out[0].elemType, 0);
        QVERIFY(!hasTypeRule("Mystery", "example.custom"));
        QVERIFY(hasTypeRule("EmbedLayerNormalization", "com.microsoft"));
        QVERIFY(hasTypeRule("Gelu", ""));
        // An input whose type is unknown gives no type to an op keeping its input's type.
        QCOMPARE(ruleOutputTypes(op("Relu", {TensorType{}}))[0].elemType, 0);
    }
};

QTEST_APPLESS_MAIN(TestTypeRules)
#include "test_type_rules.moc"
