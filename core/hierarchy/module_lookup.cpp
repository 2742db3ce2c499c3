#include "hierarchy/module_lookup.h"

#include "common/display_text.h"
#include "hierarchy/hierarchy.h"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>

namespace hs {

namespace {

constexpr std::size_t kListed = 5;

bool endsWithAtoms(const std::string& scope, const std::string& tail) {
    if (scope.size() < tail.size() || scope.compare(scope.size() - tail.size(), tail.size(), tail) != 0)
        return false;
    return scope.size() == tail.size() || scope[scope.size() - tail.size() - 1] == '.';
}

// "/backbone/stage2" -> "backbone.stage2": a path of instance names read as a scope.
std::string pathAsScope(std::string_view text) {
    while (!text.empty() && text.front() == '/')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == '/')
        text.remove_suffix(1);
    std::string scope(text);
    std::replace(scope.begin(), scope.end(), '/', '.');
    return scope;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

// Close matches: by the whole scope or by its last part, whichever is nearer; a third of the
// text's length may differ (at least 2 characters), so "stage3" finds "stage2" but "x" finds nothing.
std::vector<int> closeMatches(const Hierarchy& h, const std::string& text) {
    const std::size_t allowed = std::max<std::size_t>(2, text.size() / 3);
    std::vector<std::pair<std::size_t, int>> scored;
    for (std::size_t k = 1; k < h.modules.size(); ++k) {
        const Module& m = h.modules[k];
        std::size_t d = std::min(editDistance(text, m.scope), editDistance(text, m.name));
        if (d > allowed && m.scope.find(text) != std::string::npos) d = allowed; // a part of the scope
        if (d <= allowed) scored.emplace_back(d, static_cast<int>(k));
    }
    std::stable_sort(scored.begin(), scored.end());
    std::vector<int> best;
    for (std::size_t k = 0; k < scored.size() && k < kListed; ++k)
        best.push_back(scored[k].second);
    return best;
}

std::string quotedScopes(const Hierarchy& h, const std::vector<int>& modules, const char* last) {
    std::string out;
    for (std::size_t k = 0; k < modules.size(); ++k) {
        if (k) out += k + 1 == modules.size() ? last : ", ";
        out += quoteInput(h.modules[static_cast<std::size_t>(modules[k])].scope);
    }
    return out;
}

} // namespace

ModuleLookup lookupModule(const Hierarchy& h, const std::string& text) {
    ModuleLookup found;
    if (text == "/" || text.empty() || text == "(root)") { // "(root)": what `tree` prints for it
        found.module = h.modules.empty() ? -1 : 0;
        return found;
    }
    if ((found.module = h.findModule(text)) >= 0) return found;
    for (std::size_t k = 0; k < h.modules.size(); ++k)
        if (h.modules[k].path == text) {
            found.module = static_cast<int>(k);
            return found;
        }
    const std::string scope = pathAsScope(text);
    if ((found.module = h.findModule(scope)) >= 0) return found;
    std::vector<int> tails; // modules whose scope ends with the given atoms ("stage2", "layer.0")
    for (std::size_t k = 1; k < h.modules.size(); ++k)
        if (endsWithAtoms(h.modules[k].scope, scope)) tails.push_back(static_cast<int>(k));
    if (tails.size() == 1) {
        found.module = tails[0];
        return found;
    }
    if (tails.size() > 1)
        found.ambiguous = std::move(tails);
    else
        found.suggestions = closeMatches(h, scope);
    return found;
}

std::string lookupProblem(const Hierarchy& h, const std::string& text, const ModuleLookup& lookup) {
    if (!lookup.ambiguous.empty()) {
        std::vector<int> shown(lookup.ambiguous.begin(),
                               lookup.ambiguous.begin() +
                                   static_cast<std::ptrdiff_t>(std::min(kListed, lookup.ambiguous.size())));
        return quoteInput(text) + " names " + std::to_string(lookup.ambiguous.size()) +
               " modules: " + quotedScopes(h, shown, ", ") +
               (lookup.ambiguous.size() > kListed ? ", ..." : "") + "; give the full scope";
    }
    std::string message = "unknown module " + quoteInput(text);
    if (!lookup.suggestions.empty())
        message += "; did you mean " + quotedScopes(h, lookup.suggestions, " or ") + "?";
    else
        message += " (hierscope-cli tree lists the modules)";
    return message;
}

} // namespace hs
