#include "hierarchy/evidence/evidence.h"

#include "graph/graph.h"

namespace hs {

Evidence::Evidence(const GraphIndex& g, const Sidecar* s, Hierarchy& h, ModuleCalls& c)
    : graph(g), sidecar(s), hierarchy(h), calls(c) {
    first_.assign(g.size(), -1);
    last_.assign(g.size(), -1);
    claims_.reserve(g.size());
}

void Evidence::add(int node, Claim claim) {
    const int k = static_cast<int>(claims_.size());
    claim.next = -1;
    claims_.push_back(claim);
    int& last = last_[static_cast<std::size_t>(node)];
    if (last >= 0)
        claims_[static_cast<std::size_t>(last)].next = k;
    else
        first_[static_cast<std::size_t>(node)] = k;
    last = k;
}

const Claim* Evidence::first(int node, Source source) const {
    for (int k = head(node); k >= 0; k = claim(k).next)
        if (claim(k).source == source) return &claim(k);
    return nullptr;
}

int Evidence::addChain(PendingChain chain) {
    chains_.push_back(std::move(chain));
    return static_cast<int>(chains_.size()) - 1;
}

std::vector<ScopeStep> Evidence::stepsOf(int chain) const {
    std::vector<ScopeStep> steps;
    for (int k = chain; k >= 0; k = chains_[static_cast<std::size_t>(k)].parent)
        steps.insert(steps.begin(), chains_[static_cast<std::size_t>(k)].step);
    return steps;
}

void Evidence::materialize() {
    hierarchy.modules.reserve(hierarchy.modules.size() + chains_.size());
    calls.reserve(chains_.size());
    for (std::size_t i = 0; i < first_.size(); ++i)
        for (int k = first_[i]; k >= 0; k = claims_[static_cast<std::size_t>(k)].next) {
            Claim& c = claims_[static_cast<std::size_t>(k)];
            if (c.chain >= 0) c.call = callOfChain(c.chain);
        }
}

int Evidence::callOfChain(int chain) {
    // Up to the first step with a call, then down creating them: no recursion per step.
    std::vector<int>& pending = pending_;
    pending.clear();
    for (int k = chain; k >= 0 && chains_[static_cast<std::size_t>(k)].call < 0;
         k = chains_[static_cast<std::size_t>(k)].parent)
        pending.push_back(k);
    for (auto k = pending.rbegin(); k != pending.rend(); ++k) {
        PendingChain& c = chains_[static_cast<std::size_t>(*k)];
        const int parentCall = c.parent < 0 ? 0 : chains_[static_cast<std::size_t>(c.parent)].call;
        c.call = calls.callStep(parentCall, c.step, c.className);
    }
    return chains_[static_cast<std::size_t>(chain)].call;
}

} // namespace hs
