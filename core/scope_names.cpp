#include "scope_names.h"

#include <algorithm>
#include <cctype>

namespace hs {
namespace {

bool isNumber(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::vector<std::string_view> splitAtoms(std::string_view s) {
    std::vector<std::string_view> atoms;
    std::size_t start = 0;
    while (true) {
        std::size_t dot = s.find('.', start);
        atoms.push_back(
            s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return atoms;
}

// The trailing "head.N.M" part of a qualified scope: its last non-numeric atom and what follows.
struct Tail {
    std::string_view head;                 // "" when the scope has no non-numeric atom
    std::vector<std::string_view> numbers; // numeric atoms after it
    std::size_t start = 0;                 // offset in the scope where head (or the numbers) begin
};

Tail trailingName(std::string_view scope) {
    Tail tail;
    if (scope.empty()) return tail;
    auto atoms = splitAtoms(scope);
    std::size_t i = atoms.size();
    while (i > 0 && isNumber(atoms[i - 1]))
        --i;
    if (i > 0) tail.head = atoms[i - 1];
    for (std::size_t k = i; k < atoms.size(); ++k)
        tail.numbers.push_back(atoms[k]);
    std::size_t first = i > 0 ? i - 1 : 0;
    tail.start = static_cast<std::size_t>(atoms[first].data() - scope.data());
    return tail;
}

// Combines a parent scope with a segment by torch's continuation rule.
std::string qualify(const std::string& parent, const std::string& segment) {
    if (parent.empty()) return segment;
    Tail parentTail = trailingName(parent);
    Tail segmentTail = trailingName(segment);
    bool segmentIsName = segmentTail.start == 0; // "layer.0": its head is its first atom
    bool continues =
        segmentIsName && segmentTail.head == parentTail.head &&
        segmentTail.numbers.size() > parentTail.numbers.size() &&
        std::equal(parentTail.numbers.begin(), parentTail.numbers.end(), segmentTail.numbers.begin());
    if (continues) return parent.substr(0, parentTail.start) + segment;
    return parent + "." + segment;
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

std::vector<ScopeStep> qualifyTorchSegments(const std::vector<std::string>& segments,
                                            const std::function<bool(const std::string&)>& isKnownScope) {
    std::vector<ScopeStep> steps;
    std::string current;
    for (const auto& segment : segments) {
        ScopeStep step;
        std::string base;
        int call = 0;
        std::string literal = qualify(current, segment);
        if (splitCallSuffix(segment, base, call) && call > 0 && isKnownScope) {
            std::string candidate = qualify(current, base);
            if (candidate != literal && isKnownScope(candidate) && !isKnownScope(literal + ".")) {
                step.scope = candidate;
                step.call = call;
            }
        }
        if (step.scope.empty()) step.scope = literal;
        current = step.scope;
        steps.push_back(std::move(step));
    }
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
    std::string digits = text.substr(underscore + 1);
    if (!isNumber(digits) || digits.size() > 6) return false;
    base = text.substr(0, underscore);
    call = std::stoi(digits);
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
