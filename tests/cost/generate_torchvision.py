#!/usr/bin/python3
"""Exports torchvision classification models (random weights, 224x224, batch 1 bound to the symbolic
dimension `batch`) with torch 1.13 for the MACs check of `hierscope-cli cost` (tests/cost/). The files are
large: they are written to the folder given (the build directory), never committed.

    /usr/bin/python3 tests/cost/generate_torchvision.py OUTDIR resnet50 mobilenet_v3_large ...

Prints one line per model written; a model already present is left as it is.
"""
import os
import sys

import torch
import torchvision


def export(name, outdir):
    path = os.path.join(outdir, name + ".onnx")
    if os.path.exists(path):
        print("present", path)
        return
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    size = 299 if name == "inception_v3" else 224
    x = torch.randn(1, 3, size, size)
    tmp = path + ".tmp"
    # Not under torch.no_grad(): in eval mode without autograd, nn.MultiheadAttention (ViT) takes its
    # fused fast path, which torch 1.13 cannot export.
    torch.onnx.export(model, x, tmp, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    os.replace(tmp, path)
    print("wrote", path)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name in sys.argv[2:]:
        export(name, outdir)


if __name__ == "__main__":
    main()
