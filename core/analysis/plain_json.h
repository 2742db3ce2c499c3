#pragma once
// A strict scanner of JSON text (RFC 8259) for the plain case only: strings of ASCII without escapes or
// control characters. It tells a sink what it reads, in the order nlohmann's SAX parser would, and gives
// up (returns false) at anything else: invalid JSON, an escape, a byte outside ASCII, a number a double
// cannot hold. The caller then reads the text with nlohmann's parser, which handles all of those and
// words the errors. ONNX Runtime's profile traces are plain, and nlohmann's lexer read them at 140 MB/s.
//
// Sink: startObject(), endObject(), startArray(), endArray(), key(std::string_view),
// string(std::string_view), number(double), literal() (true, false or null).
#include "common/json_stops.h"

#include <charconv>
#include <cstring>
#include <string_view>
#include <system_error>
#include <vector>

namespace hs::plain_json {

namespace detail {

class Reader {
public:
    explicit Reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

    void skipSpace() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
            ++p_;
    }
    // Consumes `c` when it comes next.
    bool take(char c) {
        if (p_ == end_ || *p_ != c) return false;
        ++p_;
        return true;
    }
    bool atEnd() const { return p_ == end_; }
    char next() const { return p_ == end_ ? '\0' : *p_; }

    // A string without escapes, the opening quote next.
    bool string(std::string_view& out) {
        if (!take('"')) return false;
        const char* start = p_;
        p_ = json_stops::firstStop<true>(p_, end_); // its closing quote, or what only nlohmann reads
        if (p_ == end_ || *p_ != '"') return false; // an escape, a control character, not ASCII
        out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
    }
    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(double& out) {
        const char* start = p_;
        take('-');
        if (!take('0')) {
            if (!digit()) return false;
            digits();
        }
        if (take('.')) {
            if (!digit()) return false;
            digits();
        }
        if (take('e') || take('E')) {
            if (!take('+')) take('-');
            if (!digit()) return false;
            digits();
        }
        const auto [ptr, ec] = std::from_chars(start, p_, out); // the locale's decimal point plays no part
        return ec == std::errc() && ptr == p_;
    }
    bool word(const char* w) {
        const std::size_t n = std::strlen(w);
        if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, w, n) != 0) return false;
        p_ += n;
        return true;
    }

private:
    bool digit() const { return p_ < end_ && *p_ >= '0' && *p_ <= '9'; }
    void digits() {
        while (digit())
            ++p_;
    }

    const char* p_;
    const char* end_;
};

template <typename Sink> bool scalar(Reader& r, Sink& sink) {
    std::string_view text;
    double number = 0;
    switch (r.next()) {
    case '"':
        return r.string(text) && (sink.string(text), true);
    case 't':
        return r.word("true") && (sink.literal(), true);
    case 'f':
        return r.word("false") && (sink.literal(), true);
    case 'n':
        return r.word("null") && (sink.literal(), true);
    default:
        return r.number(number) && (sink.number(number), true);
    }
}

template <typename Sink> bool key(Reader& r, Sink& sink) {
    std::string_view k;
    r.skipSpace();
    if (!r.string(k)) return false;
    r.skipSpace();
    if (!r.take(':')) return false;
    sink.key(k);
    return true;
}

} // namespace detail

// Iterative (an explicit stack of open containers): deeply nested input cannot exhaust the call stack.
template <typename Sink> bool scan(std::string_view text, Sink& sink) {
    detail::Reader r(text);
    std::vector<char> open; // the closing bracket of each open container
    for (;;) {
        r.skipSpace(); // a value
        if (r.take('{')) {
            sink.startObject();
            r.skipSpace();
            if (!r.take('}')) {
                open.push_back('}');
                if (!detail::key(r, sink)) return false;
                continue;
            }
            sink.endObject();
        } else if (r.take('[')) {
            sink.startArray();
            r.skipSpace();
            if (!r.take(']')) {
                open.push_back(']');
                continue;
            }
            sink.endArray();
        } else if (!detail::scalar(r, sink)) {
            return false;
        }
        for (;;) { // after a value: containers closing, then a comma or the end of the text
            r.skipSpace();
            if (open.empty()) return r.atEnd();
            if (r.take(open.back())) {
                if (open.back() == '}')
                    sink.endObject();
                else
                    sink.endArray();
                open.pop_back();
                continue;
            }
            if (!r.take(',')) return false;
            if (open.back() == '}' && !detail::key(r, sink)) return false;
            break;
        }
    }
}

} // namespace hs::plain_json
