#!/usr/bin/python3
"""Reads an embedded copy as another tool would (issue 25), with Debian's ONNX 1.12 Python package.

    read_embedded.py ORIGINAL COPY [NODE_NAME=NAMESPACE ...]

ONNX 1.12's NodeProto has no field 9 (metadata_props, ONNX >= 1.16): protobuf keeps it as an unknown
field, parsed here from its raw bytes as StringStringEntryProto, the way a newer reader (Model Explorer's
ONNX adapter reads metadata_props["namespace"]) sees it. Checks:
  - the copy loads, and passes onnx.checker (full check) whenever the original does;
  - every node carries `namespace`, and the named nodes carry exactly the given one;
  - without node metadata and our model-level entry, the copy is the original, field for field.
Exit 0 when all hold, 1 otherwise, 77 when the onnx package is missing.
"""
import sys

try:
    import onnx
except ImportError:
    print("read_embedded: the onnx Python package is not installed")
    sys.exit(77)

METADATA_PROPS = 9  # NodeProto field number


def node_metadata(node):
    entries = {}
    for field in node.UnknownFields():
        if field.field_number == METADATA_PROPS:
            entry = onnx.StringStringEntryProto.FromString(field.data)
            entries[entry.key] = entry.value
    return entries


def all_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from all_nodes(attr.g)
            for g in attr.graphs:
                yield from all_nodes(g)


def checks(original_path, copy_path):
    original, copy = onnx.load(original_path), onnx.load(copy_path)
    # Checked as loaded protos: ONNX 1.12's check_model(PATH, full_check=True) writes the inferred
    # shapes back into the file it checks.
    try:
        onnx.checker.check_model(original, full_check=True)
        original_ok = True
    except Exception:  # noqa: BLE001 - models the 1.12 checker rejects stay rejected
        original_ok = False
    if original_ok:
        onnx.checker.check_model(copy, full_check=True)
    return onnx.load(original_path, load_external_data=False), onnx.load(copy_path, load_external_data=False), original_ok


def main():
    original_path, copy_path = sys.argv[1], sys.argv[2]
    expected = dict(arg.split("=", 1) for arg in sys.argv[3:])
    failures = 0
    original, copy, checked = checks(original_path, copy_path)
    nodes = list(all_nodes(copy.graph))
    for fn in copy.functions:
        nodes.extend(fn.node)
    found = {}
    without = 0
    for node in nodes:
        meta = node_metadata(node)
        if "namespace" not in meta:
            without += 1
        if node.name in expected:
            found[node.name] = meta.get("namespace")
    for name, ns in expected.items():
        # The layer path Model Explorer's ONNX adapter makes of it: split at '/', empty parts dropped.
        layers = None if found.get(name) is None else [p for p in found[name].split("/") if p]
        if layers != [p for p in ns.split("/") if p] or found.get(name) != ns:
            print(f"FAIL {copy_path}: node {name!r}: namespace {found.get(name)!r} ({layers}), expected {ns!r}")
            failures += 1
    # Nodes of function bodies no call places alone carry nothing; the test names no such node.
    main_without = sum(1 for n in all_nodes(copy.graph) if "namespace" not in node_metadata(n))
    if main_without:
        print(f"FAIL {copy_path}: {main_without} graph nodes without namespace")
        failures += 1
    # Field for field the original, once node metadata (unknown to 1.12) and our model entry are gone.
    del copy.metadata_props[:]
    copy.metadata_props.extend(e for e in onnx.load(copy_path, load_external_data=False).metadata_props
                               if e.key != "hierscope.empty_modules")
    copy.DiscardUnknownFields()
    original.DiscardUnknownFields()
    if copy.SerializeToString() != original.SerializeToString():
        print(f"FAIL {copy_path}: differs from the original in more than node metadata")
        failures += 1
    print(f"{'FAIL' if failures else 'ok  '} {copy_path}: loaded by onnx {onnx.__version__}, "
          f"checker {'passed' if checked else 'not passed by the original either'}, {len(nodes) - without}/{len(nodes)} "
          f"nodes with namespace, {len(found)} named nodes checked")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
