#!/usr/bin/python3
"""hierscope_export: export a PyTorch model to ONNX plus a Hierscope sidecar JSON.

The sidecar maps every ONNX node of the main graph to the ``nn.Module`` instance it came from,
so Hierscope can show the module tree without guessing.

Library use::

    import hierscope_export as hx
    sidecar = hx.export_with_sidecar(model, (input_ids, attention_mask),
                                     "bert.onnx", "bert.hierarchy.json",
                                     opset_version=17, input_names=[...], dynamic_axes={...})
    seed = hx.to_seed_format(sidecar)   # format 1.0 ("node_hierarchy" only)
    htp = hx.to_htp_format(sidecar)     # HTP form ({"nodes": ..., "modules": tree})

Command line (re-derive a sidecar, or convert one)::

    /usr/bin/python3 exporter/hierscope_export.py convert SIDECAR.json --to seed|htp [-o OUT.json]

How it works:
1. A forward pre-hook on every module of ``model.named_modules()`` records which modules execute and
   how often (one eager forward pass with ``args`` under ``torch.no_grad()``; hooks are then removed).
2. ``torch.onnx.export(model, args, onnx_path, **kwargs)`` (TorchScript exporter, torch >= 1.13 names
   nodes ``/encoder/layer.0/attention/self/query/MatMul``).
3. Each node name is parsed into a module scope (see ``scope_from_node_name``), checked against the
   executed modules, and given a hierarchy path built from the module classes (see ``build_paths``).
   Nodes without a scope in their name (``Constant_12``, ``onnx::Mul_45``) go to the root module with
   level "low" and source "exporter_fallback".

Node keys: the node name when non-empty and unique in the graph, otherwise ``#<index>``.
Hierarchy path: ``/`` + root class, then one segment per executed module along the scope: its class
name, ``.N`` appended when its attribute name is a number; non-executed containers (ModuleList,
Sequential used as a list) are skipped; siblings that would collide become ``Class[relative.name]``.
"""

import collections
import json
import os
import re
import sys

FORMAT_VERSION = "1.1"

_NUM = re.compile(r"^\d+$")
_CALL_SUFFIX = re.compile(r"^(.*?)_(\d+)$")


# ----------------------------------------------------------------------------------------------
# Execution tracing
# ----------------------------------------------------------------------------------------------

def trace_executed_modules(model, args):
    """Run ``model(*args)`` once with hooks; return {qualified name: call count} of executed modules."""
    import torch

    counts = collections.OrderedDict()
    handles = []
    for name, mod in model.named_modules():
        def pre(_m, _inp, _name=name):
            counts[_name] = counts.get(_name, 0) + 1
        def post(_m, _inp, _out):
            return None
        handles.append(mod.register_forward_pre_hook(pre))
        handles.append(mod.register_forward_hook(post))
    try:
        call_args = args if isinstance(args, tuple) else (args,)
        kwargs = {}
        if call_args and isinstance(call_args[-1], dict):
            kwargs = call_args[-1]
            call_args = call_args[:-1]
        with torch.no_grad():
            model(*call_args, **kwargs)
    finally:
        for h in handles:
            h.remove()
    counts.setdefault("", 1)
    return counts


# ----------------------------------------------------------------------------------------------
# Hierarchy paths
# ----------------------------------------------------------------------------------------------

def _parent_executed(scope, executed):
    """Nearest executed strict ancestor of ``scope`` ("" is the root)."""
    atoms = scope.split(".")
    for i in range(len(atoms) - 1, 0, -1):
        cand = ".".join(atoms[:i])
        if cand in executed:
            return cand
    return ""


def build_paths(model, executed):
    """Return {scope: {"class", "path", "calls"}} for every executed module (root scope "")."""
    classes = {name: type(mod).__name__ for name, mod in model.named_modules()}
    scopes = [s for s in classes if s in executed]  # named_modules order: parents first
    parent = {s: _parent_executed(s, executed) for s in scopes if s != ""}

    def base_segment(s):
        attr = s.split(".")[-1]
        seg = classes[s]
        if _NUM.match(attr):
            seg += "." + attr
        return seg

    children = collections.defaultdict(list)
    for s in scopes:
        if s != "":
            children[parent[s]].append(s)

    segment = {}
    for p, kids in children.items():
        bases = collections.Counter(base_segment(k) for k in kids)
        for k in kids:
            b = base_segment(k)
            if bases[b] > 1:
                rel = k[len(p) + 1:] if p else k
                segment[k] = "%s[%s]" % (classes[k], rel)
            else:
                segment[k] = b

    out = collections.OrderedDict()
    root_path = "/" + classes[""]
    for s in scopes:
        if s == "":
            path = root_path
        else:
            path = out[parent[s]]["path"] + "/" + segment[s]
        out[s] = collections.OrderedDict(
            [("class", classes[s]), ("path", path), ("calls", int(executed.get(s, 0)))])
    return out


# ----------------------------------------------------------------------------------------------
# Node name -> scope
# ----------------------------------------------------------------------------------------------

def _split_head_tail(seg):
    """'features.1.0' -> ('features', ['1', '0']); 'layer' -> ('layer', [])."""
    atoms = seg.split(".")
    tail = []
    while len(atoms) > 1 and _NUM.match(atoms[-1]):
        tail.insert(0, atoms.pop())
    return ".".join(atoms), tail


def _join_segment(scope_atoms, last_seg, seg):
    """Apply one name segment to the scope built so far (returns new atoms list)."""
    head, tail = _split_head_tail(seg)
    if last_seg is not None:
        phead, ptail = _split_head_tail(last_seg)
        if phead == head and len(tail) > len(ptail) and tail[:len(ptail)] == ptail:
            # continues the parent's name: replace the parent's tail
            return scope_atoms[:len(scope_atoms) - len(ptail)] + tail if ptail else scope_atoms + tail
    return scope_atoms + seg.split(".")


def scope_from_node_name(name, known=None):
    """Parse a TorchScript node name into (scope, call_index) or None when it carries no scope.

    ``known``: optional set of module qualified names; used to tell a second-call suffix
    (``block.0_1``) from an attribute name that merely ends in ``_1`` (``ln_1``).
    """
    if not name or not name.startswith("/"):
        return None
    segs = name[1:].split("/")[:-1]  # drop the op segment
    atoms = []
    last = None
    call = 0
    for seg in segs:
        if not seg:
            continue
        cand = _join_segment(atoms, last, seg)
        m = _CALL_SUFFIX.match(seg)
        if m and (known is None or ".".join(cand) not in known):
            stripped = m.group(1)
            cand2 = _join_segment(atoms, last, stripped)
            if known is None or ".".join(cand2) in known:
                cand = cand2
                call = max(call, int(m.group(2)))
                seg = stripped
        atoms = cand
        last = seg
    return ".".join(atoms), call


# ----------------------------------------------------------------------------------------------
# Sidecar
# ----------------------------------------------------------------------------------------------

def node_keys(graph):
    names = [n.name for n in graph.node]
    count = collections.Counter(names)
    return [nm if nm and count[nm] == 1 else "#%d" % i for i, nm in enumerate(names)]


def build_sidecar(onnx_model, module_table, onnx_file_name):
    graph = onnx_model.graph
    keys = node_keys(graph)
    known = set(module_table)
    root = module_table[""]
    nodes = collections.OrderedDict()
    by_level = collections.Counter()
    by_source = collections.Counter()
    for key, node in zip(keys, graph.node):
        parsed = scope_from_node_name(node.name, known)
        call = 0
        if parsed is None:
            scope, source, conf, level = "", "exporter_fallback", 0.3, "low"
        else:
            scope, call = parsed
            source, conf, level = "exporter", 0.9, "high"
            if scope not in known:
                # deepest executed ancestor of an unknown scope
                atoms = scope.split(".") if scope else []
                while atoms and ".".join(atoms) not in known:
                    atoms.pop()
                scope = ".".join(atoms)
                conf, level = 0.6, "medium"
        mod = module_table.get(scope, root)
        entry = collections.OrderedDict([
            ("hierarchy_path", mod["path"]), ("scope", scope), ("module_class", mod["class"]),
            ("op_type", node.op_type), ("source", source), ("confidence", conf), ("level", level)])
        if call:
            entry["call_index"] = call
        nodes[key] = entry
        by_level[level] += 1
        by_source[source] += 1
    modules = collections.OrderedDict(
        (s, collections.OrderedDict([("class", m["class"]), ("path", m["path"]), ("calls", m["calls"])]))
        for s, m in module_table.items())
    return collections.OrderedDict([
        ("format_version", FORMAT_VERSION),
        ("onnx_model", onnx_file_name),
        ("model_digest", ""),
        ("modules", modules),
        ("node_hierarchy", nodes),
        ("hierarchy_statistics", collections.OrderedDict([
            ("nodes", len(keys)), ("modules", len(modules)),
            ("by_level", dict(sorted(by_level.items()))),
            ("by_source", dict(sorted(by_source.items()))),
        ])),
    ])


def write_json(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def export_with_sidecar(model, args, onnx_path, sidecar_path, **torch_onnx_export_kwargs):
    """Export ``model`` to ``onnx_path`` and write the 1.1 sidecar to ``sidecar_path``; return it."""
    import onnx
    import torch

    executed = trace_executed_modules(model, args)
    module_table = build_paths(model, executed)
    torch.onnx.export(model, args, onnx_path, **torch_onnx_export_kwargs)
    onnx_model = onnx.load(onnx_path)
    sidecar = build_sidecar(onnx_model, module_table, os.path.basename(onnx_path))
    if sidecar_path:
        write_json(sidecar, sidecar_path)
    return sidecar


def to_seed_format(sidecar):
    """Seed 1.0 form: {"format_version": "1.0", "node_hierarchy": {name: {hierarchy_path, module_class, op_type, source}}}."""
    nodes = collections.OrderedDict()
    for key, e in sidecar["node_hierarchy"].items():
        nodes[key] = collections.OrderedDict([
            ("hierarchy_path", e["hierarchy_path"]), ("module_class", e["module_class"]),
            ("op_type", e["op_type"]), ("source", e["source"])])
    return collections.OrderedDict([("format_version", "1.0"), ("node_hierarchy", nodes)])


def to_htp_format(sidecar):
    """HTP form: {"nodes": {name: path}, "modules": tree keyed by attribute name under "children"}."""
    mods = sidecar["modules"]
    tree = {}
    for scope, m in mods.items():  # parents come before children
        tree[scope] = collections.OrderedDict([
            ("class_name", m["class"]), ("traced_tag", m["path"]), ("scope", scope),
            ("children", collections.OrderedDict())])
        if scope != "":
            parent = _parent_executed(scope, mods)
            rel = scope[len(parent) + 1:] if parent else scope
            tree[parent]["children"][rel] = tree[scope]
    nodes = collections.OrderedDict(
        (k, e["hierarchy_path"]) for k, e in sidecar["node_hierarchy"].items())
    return collections.OrderedDict([("nodes", nodes), ("modules", tree[""])])


def _main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="convert a 1.1 sidecar to the seed or HTP form")
    c.add_argument("sidecar")
    c.add_argument("--to", choices=["seed", "htp"], required=True)
    c.add_argument("-o", "--output")
    a = ap.parse_args(argv)
    with open(a.sidecar, encoding="utf-8") as f:
        sc = json.load(f, object_pairs_hook=collections.OrderedDict)
    out = to_seed_format(sc) if a.to == "seed" else to_htp_format(sc)
    if a.output:
        write_json(out, a.output)
    else:
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
