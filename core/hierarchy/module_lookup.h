#pragma once
// A module named the way a person names it: the full scope ("backbone.stage2"), the hierarchy path
// ("/backbone/stage2" or "/Net/Backbone/Stage.stage2"), "(root)", or the last part alone ("stage2") when only
// one module ends so. What `hierscope-cli tree` prints is always accepted by `extract --module`.
#include <string>
#include <vector>

namespace hs {

struct Hierarchy;

struct ModuleLookup {
    int module = -1;              // the module named, -1 when none or several
    std::vector<int> ambiguous;   // the modules a short name fits, when several do
    std::vector<int> suggestions; // close matches on a typo, best first (at most 5)
};

ModuleLookup lookupModule(const Hierarchy& hierarchy, const std::string& text);

// "unknown module 'stage3'; did you mean 'backbone.stage2' or 'backbone.stage1'?" or
// "'0' names 3 modules: 'layer1.0', 'layer2.0', 'layer3.0'; give the full scope".
std::string lookupProblem(const Hierarchy& hierarchy, const std::string& text, const ModuleLookup& lookup);

} // namespace hs
