#include "hierarchy/scope_names.h"

#include <algorithm>
#include <cctype>

namespace hs {

bool isNumericAtom(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::string_view parentScopeOf(std::string_view scope) {
    const std::size_t dot = scope.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : scope.substr(0, dot);
}

std::string_view lastAtomOf(std::string_view scope) {
    const std::size_t dot = scope.rfind('.');
    return dot == std::string_view::npos ? scope : scope.substr(dot + 1);
}

std::string scopePattern(const std::string& scope) {
    std::string out;
    std::size_t start = 0;
    while (start <= scope.size()) {
        std::size_t dot = scope.find('.', start);
        std::string atom = scope.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        out += (out.empty() && start == 0 ? "" : ".") + (isNumericAtom(atom) ? std::string("#") : atom);
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return out;
}

// (declared in scope_names.h)
bool isAtomPrefix(std::string_view prefix, std::string_view scope) {
    return prefix.empty() || scope == prefix ||
           (scope.size() > prefix.size() && scope.compare(0, prefix.size(), prefix) == 0 &&
            scope[prefix.size()] == '.');
}

std::string commonAtomPrefix(const std::string& a, const std::string& b) {
    std::size_t n = 0, i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) {
        ++i;
        if ((i == a.size() || a[i] == '.') && (i == b.size() || b[i] == '.')) n = i;
    }
    return a.substr(0, n);
}

namespace {

// The trailing "head.N.M" part of a qualified scope: its last non-numeric atom and what follows.
// Found by scanning back from the end, without allocating: it runs for every segment of every node name.
struct Tail {
    std::string_view head;    // "" when the scope has no non-numeric atom
    std::string_view numbers; // the numeric atoms after it ("0.1"), "" when none
    std::size_t count = 0;    // how many numeric atoms
    std::size_t start = 0;    // offset in the scope where head (or the numbers) begin
};

Tail trailingName(std::string_view scope) {
    Tail tail;
    if (scope.empty()) return tail;
    std::size_t end = scope.size(); // the current atom is [begin, end)
    std::size_t numbersBegin = end;
    while (true) {
        const std::size_t dot = end == 0 ? std::string_view::npos : scope.rfind('.', end - 1);
        const std::size_t begin = dot == std::string_view::npos ? 0 : dot + 1;
        const std::string_view atom = scope.substr(begin, end - begin);
        if (!isNumericAtom(atom)) {
            tail.head = atom;
            tail.start = begin;
            break;
        }
        ++tail.count;
        numbersBegin = begin;
        if (dot == std::string_view::npos) { // only numbers
            tail.start = 0;
            break;
        }
        end = dot;
    }
    if (tail.count) tail.numbers = scope.substr(numbersBegin);
    return tail;
}

// True when the numeric atoms `prefix` ("0") begin the numeric atoms `numbers` ("0.1"), atom by atom.
bool numbersPrefix(std::string_view prefix, std::string_view numbers) {
    if (prefix.empty()) return true;
    return numbers.size() > prefix.size() && numbers.compare(0, prefix.size(), prefix) == 0 &&
           numbers[prefix.size()] == '.';
}

// Combines a parent scope with a segment by torch's continuation rule.
std::string qualify(const std::string& parent, const std::string& segment) {
    if (parent.empty()) return segment;
    Tail parentTail = trailingName(parent);
    Tail segmentTail = trailingName(segment);
    bool segmentIsName = segmentTail.start == 0; // "layer.0": its head is its first atom
    bool continues = segmentIsName && segmentTail.head == parentTail.head &&
                     segmentTail.count > parentTail.count &&
                     numbersPrefix(parentTail.numbers, segmentTail.numbers);
    std::string out;
    if (continues) {
        out.reserve(parentTail.start + segment.size());
        out.append(parent, 0, parentTail.start).append(segment);
    } else {
        out.reserve(parent.size() + 1 + segment.size());
        out.append(parent).append(1, '.').append(segment);
    }
    return out;
}

} // namespace

std::optional<std::vector<std::string>> torchNameSegments(std::string_view name) {
    if (name.size() < 2 || name.front() != '/') return std::nullopt;
    std::vector<std::string> segments;
    std::size_t start = 1;
    while (true) {
        std::size_t slash = name.find('/', start);
        if (slash == std::string_view::npos) break;
        if (slash == start) return std::nullopt; // "//": not a scope path
        segments.emplace_back(name.substr(start, slash - start));
        start = slash + 1;
    }
    if (start >= name.size()) return std::nullopt; // no op segment
    return segments;
}

ScopeStep qualifyTorchSegment(const std::string& parent, const std::string& segment,
                              const std::function<bool(const std::string&)>& isKnownScope) {
    ScopeStep step;
    std::string base;
    int call = 0;
    std::string literal = qualify(parent, segment);
    if (isKnownScope && splitCallSuffix(segment, base, call) && call > 0) {
        std::string candidate = qualify(parent, base);
        if (candidate != literal && isKnownScope(candidate) && !isKnownScope(literal + ".")) {
            step.scope = std::move(candidate);
            step.call = call;
        }
    }
    if (step.scope.empty()) step.scope = std::move(literal);
    return step;
}

std::vector<ScopeStep> qualifyTorchSegments(const std::vector<std::string>& segments,
                                            const std::function<bool(const std::string&)>& isKnownScope) {
    static const std::string root;
    std::vector<ScopeStep> steps;
    steps.reserve(segments.size());
    for (const auto& segment : segments)
        steps.push_back(
            qualifyTorchSegment(steps.empty() ? root : steps.back().scope, segment, isKnownScope));
    return steps;
}

std::vector<std::string> parsePythonStringList(std::string_view text) {
    std::vector<std::string> items;
    std::size_t i = 0;
    while (i < text.size()) {
        char quote = text[i];
        if (quote != '\'' && quote != '"') {
            ++i;
            continue;
        }
        std::string item;
        ++i;
        while (i < text.size() && text[i] != quote) {
            if (text[i] == '\\' && i + 1 < text.size()) ++i;
            item += text[i++];
        }
        ++i;
        items.push_back(std::move(item));
    }
    return items;
}

bool splitCallSuffix(const std::string& text, std::string& base, int& call) {
    std::size_t underscore = text.rfind('_');
    if (underscore == std::string::npos || underscore == 0 || underscore + 1 >= text.size()) return false;
    const std::string_view digits = std::string_view(text).substr(underscore + 1);
    if (!isNumericAtom(digits) || digits.size() > 6) return false;
    base = text.substr(0, underscore);
    call = 0;
    for (char c : digits)
        call = call * 10 + (c - '0');
    return true;
}

std::string shortClassName(std::string_view qualified) {
    std::size_t dot = qualified.rfind('.');
    return std::string(dot == std::string_view::npos ? qualified : qualified.substr(dot + 1));
}

std::string relativeName(const std::string& parentScope, const std::string& childScope) {
    if (parentScope.empty()) return childScope;
    if (childScope.size() > parentScope.size() + 1 &&
        childScope.compare(0, parentScope.size(), parentScope) == 0 && childScope[parentScope.size()] == '.')
        return childScope.substr(parentScope.size() + 1);
    // torch's continuation rule: "features.1" under "features" keeps its whole trailing name
    Tail parentTail = trailingName(parentScope);
    std::string prefix = parentScope.substr(0, parentTail.start);
    if (childScope.compare(0, prefix.size(), prefix) == 0) return childScope.substr(prefix.size());
    return childScope;
}

bool producerWritesForeignNames(const std::string& producer) {
    static const char* const foreign[] = {"tf2onnx", "keras2onnx",  "paddle2onnx", "onnxmltools", "skl2onnx",
                                          "caffe2",  "onnx-caffe2", "tflite2onnx", "OnnxMLTools", "jax2onnx"};
    for (const char* f : foreign)
        if (producer == f) return true;
    return false;
}

} // namespace hs
