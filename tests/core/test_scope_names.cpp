// Torch's naming rules, as DESIGN.md states them, on names taken from real exports.
#include "hierarchy/scope_names.h"

#include <QtTest>

using namespace hs;

namespace {
std::string scopeOf(const std::string& name, const std::function<bool(const std::string&)>& known = nullptr) {
    auto segments = torchNameSegments(name);
    if (!segments) return "<none>";
    auto steps = qualifyTorchSegments(*segments, known);
    return steps.empty() ? "" : steps.back().scope;
}
} // namespace

class TestScopeNames : public QObject {
    Q_OBJECT
private slots:
    void torchScopes_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("scope");
        QTest::newRow("bert") << "/encoder/layer.0/attention/self/query/MatMul"
                              << "encoder.layer.0.attention.self.query";
        QTest::newRow("repeated parents") << "/features/features.1/features.1.0/block/block.0/Conv"
                                          << "features.1.0.block.0";
        QTest::newRow("resnet") << "/layer1/layer1.0/conv1/Conv"
                                << "layer1.0.conv1";
        QTest::newRow("efficientnet") << "/features/features.1/features.1.0/block/block.0/block.0.0/Conv"
                                      << "features.1.0.block.0.0";
        QTest::newRow("sequential root") << "/1/Gemm"
                                         << "1";
        QTest::newRow("root op") << "/Mul"
                                 << "";
        QTest::newRow("gpt ln_1 literal") << "/transformer/h.0/ln_1/LayerNormalization"
                                          << "transformer.h.0.ln_1";
        QTest::newRow("unscoped helper") << "Constant_41"
                                         << "<none>";
        QTest::newRow("old torch") << "onnx::Mul_45"
                                   << "<none>";
        QTest::newRow("tf names") << "MobilenetV2/expanded_conv/depthwise/Relu6"
                                  << "<none>";
        QTest::newRow("empty segment") << "/a//Relu"
                                       << "<none>";
    }
    void torchScopes() {
        QFETCH(QString, name);
        QFETCH(QString, scope);
        QCOMPARE(QString::fromStdString(scopeOf(name.toStdString())), scope);
    }

    void secondCallIsTheSameModule() {
        auto known = [](const std::string& s) {
            return s == "block" || s == "block.0" || s == "layer1.0.relu";
        };
        auto steps = qualifyTorchSegments(*torchNameSegments("/block/block.0_1/Gemm"), known);
        QCOMPARE(steps.size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(steps[1].scope), QString("block.0"));
        QCOMPARE(steps[1].call, 1);
        QCOMPARE(steps[0].call, 0);
        // "ln_1" is an attribute name when no "ln" module exists.
        auto gpt = qualifyTorchSegments(*torchNameSegments("/h.0/ln_1/Add"), known);
        QCOMPARE(QString::fromStdString(gpt.back().scope), QString("h.0.ln_1"));
        QCOMPARE(gpt.back().call, 0);
        QCOMPARE(QString::fromStdString(scopeOf("/layer1/layer1.0/relu_1/Relu", known)),
                 QString("layer1.0.relu"));
    }

    void pythonLists() {
        auto items = parsePythonStringList("['', 'enc.0', 'enc.0.c1', 'conv3d_1']");
        QCOMPARE(items.size(), std::size_t(4));
        QCOMPARE(QString::fromStdString(items[0]), QString(""));
        QCOMPARE(QString::fromStdString(items[2]), QString("enc.0.c1"));
        QCOMPARE(QString::fromStdString(shortClassName("torch.nn.modules.conv.Conv3d")), QString("Conv3d"));
        QCOMPARE(QString::fromStdString(relativeName("encoder", "encoder.layer.0")), QString("layer.0"));
        QVERIFY(producerWritesForeignNames("tf2onnx"));
        QVERIFY(!producerWritesForeignNames("pytorch"));
    }
};

QTEST_APPLESS_MAIN(TestScopeNames)
#include "test_scope_names.moc"
