#pragma once
// The names of the inference program's main graph, each hashed once (extract/types.cpp): every pass of
// shape inference (constants, the fold, the library's loop, our rules, reading the types back) built a
// table of the same 250k names on 130k-node models, and hashing and probing them was a quarter of shape
// inference. Here every name gets an id once, when the program is screened, and the graph's lists and
// each node's inputs and outputs are kept as ids beside it. Whoever adds, drops or reorders entries of
// the graph keeps these in step (keepNodes, and push_back for what it appends).
#include "graph/name_table.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace hs::extraction {

class ProgramNames {
public:
    ProgramNames() = default;
    // Names whose first ids are those of `base`, a table whose entry k is bound to k and whose keys
    // outlive these names (a graph index's tensors, which the program's names mostly are): nothing of
    // it is hashed or copied again. Names it does not hold get ids after its own.
    explicit ProgramNames(const NameTable& base) : base_(&base), baseSize_(base.size()) {}

    void reserve(std::size_t names) {
        const std::size_t own = names > baseSize_ ? names - baseSize_ : 0;
        table_.reserve(own);
        names_.reserve(own);
    }
    // The id of `name`; a new one (its characters copied: the graph may drop the string) when it has none.
    int add(std::string_view name) {
        const std::size_t hash = NameTable::hashOf(name);
        if (base_)
            if (const int id = base_->find(name, hash); id >= 0) return id;
        auto [id, added] = table_.tryEmplace(name, hash, static_cast<int>(size()));
        if (added) {
            names_.push_back(keep(name));
            table_.rekeyLast(names_.back());
        }
        return id;
    }
    int find(std::string_view name) const {
        const std::size_t hash = NameTable::hashOf(name);
        if (base_)
            if (const int id = base_->find(name, hash); id >= 0) return id;
        return table_.find(name, hash);
    }
    std::size_t size() const { return baseSize_ + names_.size(); }
    // Named from an index (nameProgram with a seed): the program's node k was then the seed's unit k.
    bool seeded() const { return base_ != nullptr; }
    std::string_view name(int id) const {
        const auto k = static_cast<std::size_t>(id);
        return k < baseSize_ ? base_->keyAt(k) : names_[k - baseSize_];
    }

    // Node k's inputs (then outputs) start at ioStart(k) in io; -1 for an empty name.
    std::size_t ioStart(int node) const { return first[static_cast<std::size_t>(node)]; }
    int input(int node, int k) const { return io[ioStart(node) + static_cast<std::size_t>(k)]; }
    // Output k of a node with `inputs` inputs.
    int output(int node, int inputs, int k) const { return input(node, inputs + k); }
    // Nodes are dropped (drop[k] != 0) and the rest kept in order, as the graph's compaction does.
    void keepNodes(const std::vector<char>& drop) {
        std::size_t to = 0, node = 0;
        for (std::size_t k = 0; k + 1 < first.size(); ++k) {
            if (drop[k]) continue;
            const std::size_t from = first[k], end = first[k + 1];
            first[node++] = to;
            for (std::size_t i = from; i < end; ++i)
                io[to++] = io[i];
        }
        first[node] = to;
        first.resize(node + 1);
        io.resize(to);
    }

    // The main graph's lists, entry by entry.
    std::vector<int> inputs, outputs, initializers, valueInfos;
    std::vector<int> io;                            // the nodes' inputs and outputs
    std::vector<std::size_t> first{std::size_t{0}}; // where each node's names start in io, and the end

private:
    // Blocks from 4 KB up to 1 MB, left unwritten until names are copied in: small programs (most
    // extractions) pay for what they hold, not for a megabyte.
    std::string_view keep(std::string_view name) {
        if (name.empty()) return {};
        if (used_ + name.size() > blockSize_) {
            blockSize_ = std::max({kFirstBlock, std::min(2 * blockSize_, kLastBlock), name.size()});
            blocks_.push_back(std::unique_ptr<char[]>(new char[blockSize_]));
            used_ = 0;
        }
        char* at = blocks_.back().get() + used_;
        std::copy(name.begin(), name.end(), at);
        used_ += name.size();
        return {at, name.size()};
    }
    static constexpr std::size_t kFirstBlock = std::size_t{4} << 10, kLastBlock = std::size_t{1} << 20;

    const NameTable* base_ = nullptr; // ids below baseSize_
    std::size_t baseSize_ = 0;
    NameTable table_;
    std::vector<std::string_view> names_; // by id (after the base's), viewing blocks_
    std::vector<std::unique_ptr<char[]>> blocks_;
    std::size_t used_ = 0, blockSize_ = 0;
};

} // namespace hs::extraction
