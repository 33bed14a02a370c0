#!/usr/bin/python3
"""ONNX Runtime's models for bench/all.sh, exported from PyTorch with the
same weights as ours: each model file becomes a PyTorch module built from
its spec with its tensors loaded by name (torch_ref.load_model), exported by
torch.onnx.export with a dynamic batch axis; beside it a one-ReLU model of
the same input size, which times what the binding costs around any model
(copies in and out, the call through node), and a fixed random input batch
with PyTorch's outputs for the parity check.

    export_torch_onnx.py OUTDIR MODEL.safetensors...
      -> OUTDIR/NAME.onnx, NAME-relu.onnx, NAME-input.f32 (BATCH samples),
         NAME-torch.f32 (PyTorch's outputs), NAME.shape (C,H,W of a sample)
BATCH: the number of samples of the parity input (default 64).
"""
import os
import sys

import torch
import torch.nn as nn

import torch_ref

BATCH = int(os.environ.get("BATCH", "64"))


def export(net, x, path):
    torch.onnx.export(net, x, path, input_names=["x"], output_names=["y"], opset_version=13,
                      dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(19)
    for path in sys.argv[2:]:
        name = os.path.basename(path).removesuffix(".safetensors")
        net, spec = torch_ref.load_model(path)
        shape = list(spec["input"])
        x = torch.rand(BATCH, *shape)
        if "gan" in spec:  # a generator's input: latent noise and a one-hot class
            latent = spec["gan"]["latent"]
            x = torch.zeros(BATCH, *shape)
            x[:, :latent] = torch.randn(BATCH, latent, *shape[1:])
            x[torch.arange(BATCH), latent + torch.arange(BATCH) % (shape[0] - latent)] = 1.0
        with torch.no_grad():
            y = net(x)
        export(net, x[:1], os.path.join(out, name + ".onnx"))
        export(nn.ReLU(), x[:1], os.path.join(out, name + "-relu.onnx"))
        x.numpy().tofile(os.path.join(out, name + "-input.f32"))
        y.numpy().tofile(os.path.join(out, name + "-torch.f32"))
        with open(os.path.join(out, name + ".shape"), "w") as f:
            f.write(",".join(map(str, shape)) + "\n")


if __name__ == "__main__":
    main()
