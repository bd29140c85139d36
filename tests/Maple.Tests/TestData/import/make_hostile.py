# Regenerates hostile-setstate.pt (see README.md): a TorchScript archive whose module restores its state with
# code that creates a file. libtorch's loader (torch.jit.load, and TorchSharp's jit.load) runs that code while
# loading; Maple must read the archive as data and refuse it without creating the file. Needs PyTorch
# (Debian's python3-torch 1.13 was used); the tests never run Python.
#
#     /usr/bin/python3 tests/Maple.Tests/TestData/import/make_hostile.py
import os
import sys
from typing import Tuple

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else here
MARKER = "/tmp/maple-torchscript-marker"


class Payload(nn.Module):
    # Looks like an OpenAI CLIP piece (a parameter named like one), but loading it runs __setstate__.
    def __init__(self):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.zeros(4, 2))
        self.target = MARKER

    @torch.jit.export
    def __getstate__(self) -> Tuple[torch.Tensor, str, bool]:
        return self.positional_embedding, self.target, self.training

    @torch.jit.export
    def __setstate__(self, state: Tuple[torch.Tensor, str, bool]) -> None:
        self.target = state[1]
        self.training = state[2]
        # shared=True creates the file (and maps it) when it does not exist; the result is used so that the
        # TorchScript compiler keeps the call.
        written = torch.from_file(self.target, True, 16, dtype=torch.uint8)
        self.positional_embedding = state[0] + written[:1].float().sum() * 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.positional_embedding


class HostileCLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.logit_scale = nn.Parameter(torch.ones([]))
        self.visual = Payload()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.visual(x) * self.logit_scale


path = os.path.join(out, "hostile-setstate.pt")
torch.jit.save(torch.jit.script(HostileCLIP()), path)

# Check that the archive really is hostile: libtorch's loader creates the marker file.
if os.path.exists(MARKER):
    os.remove(MARKER)
torch.jit.load(path)
assert os.path.exists(MARKER), "loading with libtorch should have run __setstate__"
os.remove(MARKER)
print("wrote", path, "- torch.jit.load ran its __setstate__ (marker created and removed)")
