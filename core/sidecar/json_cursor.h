#pragma once
// The JSON scanner of the sidecar reader (read.cpp): checks and skips values over mapped bytes, reads
// strings (escapes, surrogate pairs, invalid UTF-8 taken as it is) and numbers (locale-free), and fails
// with the byte offset. Internal to core/sidecar.
#include "common/display_text.h"
#include "common/json_stops.h"

#include <charconv>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace hs {

constexpr int kMaxJsonDepth = 256; // deeper nesting is refused: no sidecar form needs it

struct ParseFailure {
    std::size_t at;
    std::string what;
};

class JsonCursor {
public:
    JsonCursor(const char* begin, const char* end) : begin_(begin), p_(begin), end_(end) {}

    [[noreturn]] void fail(const std::string& what) const { throw ParseFailure{offset(), what}; }
    std::size_t offset() const { return static_cast<std::size_t>(p_ - begin_); }
    std::size_t size() const { return static_cast<std::size_t>(end_ - begin_); }
    const char* here() { return peek(), p_; } // where the next value begins

    char peek() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
            ++p_;
        return p_ < end_ ? *p_ : '\0';
    }
    bool atEnd() { return peek() == '\0' && p_ == end_; }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++p_;
    }
    // After '{' or '[': true when the container goes on with a member, false at its end.
    bool firstMember(char close) {
        if (peek() != close) return true;
        ++p_;
        return false;
    }
    bool nextMember(char close) {
        const char c = peek();
        if (c == ',') return ++p_, true;
        if (c == close) return ++p_, false;
        fail(std::string("expected ',' or '") + close + "'");
    }

    void string(std::string& out) {
        expect('"');
        const char* run = p_;
        skipPlain();
        if (p_ < end_ && *p_ == '"') { // no escapes (nearly every string): one copy
            out.assign(run, p_);
            return void(++p_);
        }
        out.assign(run, p_);
        rest(out);
    }

    // A string without escapes as a view of the file's bytes; one with escapes decoded into `scratch`.
    std::string_view stringView(std::string& scratch) {
        expect('"');
        const char* run = p_;
        skipPlain();
        if (p_ < end_ && *p_ == '"')
            return ++p_, std::string_view(run, static_cast<std::size_t>(p_ - 1 - run));
        scratch.assign(run, p_);
        rest(scratch);
        return scratch;
    }

    double number() {
        const char* start = p_;
        if (p_ < end_ && *p_ == '-') ++p_;
        if (p_ < end_ && *p_ == '0')
            ++p_;
        else if (!digits())
            fail("invalid number");
        if (p_ < end_ && *p_ == '.' && (++p_, !digits())) fail("invalid number");
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (!digits()) fail("invalid number");
        }
        // from_chars, not strtod: the GUI runs under the user's locale, whose decimal point may be a comma.
        double v = 0;
        const auto [end, ec] = std::from_chars(start, p_, v);
        if (ec == std::errc::result_out_of_range || end != p_) {
            const std::string text(start, p_);
            p_ = start;
            fail("number out of range near " + quoteInput(text, 40));
        }
        return v;
    }

    bool literal() { // true, false or null; returns its truth
        for (const char* word : {"true", "false", "null"}) {
            const std::size_t n = std::strlen(word);
            if (static_cast<std::size_t>(end_ - p_) >= n && std::memcmp(p_, word, n) == 0) {
                p_ += n;
                return word[0] == 't';
            }
        }
        fail("unexpected " + (p_ < end_ ? quoteInput(std::string_view(p_, 1)) : std::string("end of file")));
    }

    // Any value, checked and skipped.
    void skip(int depth) {
        if (depth > kMaxJsonDepth) fail("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        const char c = peek();
        if (c == '{' || c == '[') {
            ++p_;
            const char close = c == '{' ? '}' : ']';
            std::string key;
            for (bool more = firstMember(close); more; more = nextMember(close)) {
                if (c == '{') {
                    string(key);
                    expect(':');
                }
                skip(depth + 1);
            }
        } else if (c == '"') {
            std::string s;
            string(s);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            number();
        } else {
            literal();
        }
    }

private:
    // To the next quote, backslash or control character (common/json_stops.h).
    void skipPlain() { p_ = json_stops::firstStop<false>(p_, end_); }
    // The rest of a string from an escape, a control character or the end, appended to `out`.
    void rest(std::string& out) {
        for (;;) {
            if (p_ >= end_) fail("unterminated string");
            if (*p_ == '"') return void(++p_);
            if (*p_ != '\\') fail("control character in a string");
            ++p_;
            escape(out);
            const char* run = p_;
            skipPlain();
            out.append(run, p_);
        }
    }

    bool digits() {
        const char* start = p_;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
            ++p_;
        return p_ > start;
    }
    unsigned hex4() {
        if (end_ - p_ < 4) fail("invalid \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k, ++p_) {
            const char c = *p_;
            const int d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
            if (d < 0) fail("invalid \\u escape");
            v = v * 16 + static_cast<unsigned>(d);
        }
        return v;
    }
    void escape(std::string& out) {
        if (p_ >= end_) fail("unterminated string");
        const char c = *p_++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            out += c;
            return;
        case 'b':
            out += '\b';
            return;
        case 'f':
            out += '\f';
            return;
        case 'n':
            out += '\n';
            return;
        case 'r':
            out += '\r';
            return;
        case 't':
            out += '\t';
            return;
        case 'u':
            break;
        default:
            --p_;
            fail("invalid escape in a string");
        }
        unsigned code = hex4();
        if (code >= 0xD800 && code <= 0xDBFF) { // a surrogate pair
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') fail("unpaired surrogate in a string");
            p_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("unpaired surrogate in a string");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code >= 0xDC00 && code <= 0xDFFF) {
            fail("unpaired surrogate in a string");
        }
        appendUtf8(out, code);
    }
    static void appendUtf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    const char* begin_;
    const char* p_;
    const char* end_;
};

// The bytes of one JSON value, already checked by the reader's pass over the whole file.
struct ValueRange {
    const char* begin = nullptr;
    const char* end = nullptr;
};

inline ValueRange skipValue(JsonCursor& in) {
    ValueRange r;
    r.begin = in.here();
    in.skip(1);
    r.end = in.here();
    return r;
}

} // namespace hs
