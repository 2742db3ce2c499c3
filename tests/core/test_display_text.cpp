// Text from input files in messages and written files: escaped, never cut at a NUL, bounded.
#include "common/display_text.h"

#include <QtTest>

using namespace hs;

class TestDisplayText : public QObject {
    Q_OBJECT
private slots:
    void validUtf8IsUnchanged() {
        QCOMPARE(utf8Escaped("/encoder/layer.0/Add"), std::string("/encoder/layer.0/Add"));
        QCOMPARE(utf8Escaped("caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x99\x82"),
                 std::string("caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x99\x82"));
    }
    void invalidBytesAreEscaped() {
        QCOMPARE(utf8Escaped("/enc\xFFoder"), std::string("/enc\\xFFoder"));
        QCOMPARE(utf8Escaped("\xC3"), std::string("\\xC3"));                   // truncated sequence
        QCOMPARE(utf8Escaped("\xC0\xAF"), std::string("\\xC0\\xAF"));          // overlong '/'
        QCOMPARE(utf8Escaped("\xED\xA0\x80"), std::string("\\xED\\xA0\\x80")); // surrogate
    }
    void quotedShowsNulsAndControls() {
        const std::string withNul("model.onnx\0.data", 16);
        QCOMPARE(quoteInput(withNul), std::string("'model.onnx\\0.data'"));
        QCOMPARE(quoteInput("a\nb\xFF"), std::string("'a\\x0Ab\\xFF'"));
    }
    void quotedIsBounded() {
        const std::string longKey(100000, 'k');
        const std::string q = quoteInput(longKey);
        QVERIFY(q.size() < 120);
        QVERIFY(q.rfind("'" + std::string(80, 'k') + "'... (99920 more bytes)", 0) == 0);
        QCOMPARE(quoteInput("short"), std::string("'short'"));
    }
};

QTEST_APPLESS_MAIN(TestDisplayText)
#include "test_display_text.moc"
