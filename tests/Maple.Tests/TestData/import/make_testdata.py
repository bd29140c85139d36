# Regenerates the test files in this folder (see README.md). Needs PyTorch (Debian's python3-torch 1.13
# was used) and the shared tiny-maple fixture beside the repository; the tests themselves never run Python.
#
#     /usr/bin/python3 tests/Maple.Tests/TestData/import/make_testdata.py
import collections
import copy
import json
import math
import os
import struct
import sys
import zipfile

import torch
from torch import nn
from torch.nn import functional as F
from typing import Tuple

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else here
repo = os.path.abspath(os.path.join(here, "..", "..", "..", ".."))
tiny = os.path.join(repo, "..", "shared", "fixtures", "tiny-maple")
sys.path.insert(0, os.path.join(repo, "tools"))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402


def summary(t):
    # A few values and the float64 sum, so the tests can check values without a second copy of every tensor.
    flat = t.detach().reshape(-1).double()
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "head": flat[:6].tolist(), "sum": flat.sum().item(), "abs_sum": flat.abs().sum().item()}


def save_dassl(path, state_dict, epoch, optimizer, scheduler):
    # What Dassl's save_checkpoint writes (its `module.` prefixes already stripped, as it does by default).
    torch.save({"state_dict": state_dict, "epoch": epoch, "optimizer": optimizer, "scheduler": scheduler,
                "val_result": None}, path)


class ConstantWarmup(torch.optim.lr_scheduler._LRScheduler):
    # Shaped like Dassl's warm-up scheduler: it keeps the real scheduler as an attribute, so its
    # state_dict() holds a pickled scheduler object and, inside that, the optimizer object.
    def __init__(self, optimizer, successor, warmup_epoch, cons_lr):
        self.successor = successor
        self.warmup_epoch = warmup_epoch
        self.cons_lr = cons_lr
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch >= self.warmup_epoch:
            return self.successor.get_last_lr()
        return [self.cons_lr for _ in self.base_lrs]

    def step(self, epoch=None):
        if self.last_epoch >= self.warmup_epoch:
            self.successor.step(epoch)
            self._last_lr = self.successor.get_last_lr()
        else:
            super().step(epoch)


def train_briefly(model, epochs):
    # A few SGD steps on a made-up loss, so the optimizer holds momentum buffers and the scheduler has moved.
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.SGD(params, lr=0.0035, momentum=0.9, weight_decay=5e-4)
    sched = ConstantWarmup(optim, torch.optim.lr_scheduler.CosineAnnealingLR(optim, float(epochs)), 1, 1e-5)
    for _ in range(epochs):
        optim.zero_grad()
        loss = sum((p.float() ** 2).sum() for p in params)
        loss.backward()
        optim.step()
        sched.step()
    return optim.state_dict(), sched.state_dict()


# ============================================================================================
# 1. A MaPLe checkpoint as the authors' trainer saves one (tiny-maple widths: text 128, vision 192)
# ============================================================================================
torch.manual_seed(20240611)
N_CTX, DEPTH, N_CLS, CONTEXT = 2, 3, 10, 77


class MultiModalPromptLearner(nn.Module):
    # The authors' names and dtypes: under PREC fp16 ctx and the class buffers are in CLIP's fp16,
    # proj is .half()'d explicitly, and the deeper prompts and their projections stay fp32.
    def __init__(self, text_width=128, vision_width=192):
        super().__init__()
        self.proj = nn.Linear(text_width, vision_width).half()
        self.ctx = nn.Parameter((torch.randn(N_CTX, text_width) * 0.02).half())
        self.compound_prompts_text = nn.ParameterList(
            [nn.Parameter(torch.randn(N_CTX, text_width) * 0.02) for _ in range(DEPTH - 1)])
        single_layer = nn.Linear(text_width, vision_width)
        self.compound_prompt_projections = nn.ModuleList([copy.deepcopy(single_layer) for _ in range(DEPTH - 1)])
        self.register_buffer("token_prefix", (torch.randn(N_CLS, 1, text_width) * 0.02).half())
        suffix = torch.randn(N_CLS, CONTEXT - 1 - N_CTX, text_width) * 0.02
        suffix[:, 8:] = suffix[0, 8]  # past the class name and end token, every row is the padding token's embedding
        self.register_buffer("token_suffix", suffix.half())


class FrozenStandIn(nn.Module):
    # The authors register the whole CustomCLIP, so the frozen encoders are saved too; a few of their
    # tensors stand in for them here (the real ones are hundreds of MB).
    def __init__(self, width):
        super().__init__()
        self.ln_post = nn.LayerNorm(width)
        self.class_embedding = nn.Parameter(torch.randn(width) * width ** -0.5)


class CustomCLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.prompt_learner = MultiModalPromptLearner()
        self.image_encoder = FrozenStandIn(192)
        self.text_encoder = FrozenStandIn(128)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        for name, p in self.named_parameters():
            p.requires_grad_(name.startswith("prompt_learner"))


maple = CustomCLIP()
optim_state, sched_state = train_briefly(maple, 5)
save_dassl(os.path.join(out, "authors-maple.pth.tar-5"), maple.state_dict(), 5, optim_state, sched_state)
with open(os.path.join(out, "authors-maple.expected.json"), "w") as f:
    json.dump({"epoch": 5, "state_dict": {k: summary(v) for k, v in maple.state_dict().items()}}, f, indent=1)


# ============================================================================================
# 2. The tiny-maple fixture's initial prompts in the authors' layout, for the exact-logits test
# ============================================================================================
init = read_safetensors(os.path.join(tiny, "init.safetensors"))
weights = read_safetensors(os.path.join(tiny, "model", "model.safetensors"))
# The class buffers are left out to keep the file small: authors-maple.pth.tar-5 has them.
state = collections.OrderedDict()
state["prompt_learner.ctx"] = init["prompt_learner.ctx"]
for key in ["proj.weight", "proj.bias"] + [f"compound_prompts_text.{i}" for i in range(DEPTH - 1)] + [
        f"compound_prompt_projections.{i}.{p}" for i in range(DEPTH - 1) for p in ("weight", "bias")]:
    state["prompt_learner." + key] = init["prompt_learner." + key]
state["logit_scale"] = weights["logit_scale"]
assert all(t.dtype == torch.float32 for t in state.values())
learnable = [nn.Parameter(t.clone()) for k, t in state.items() if k != "logit_scale"]
fresh = torch.optim.SGD(learnable, lr=0.0035, momentum=0.9, weight_decay=5e-4)
save_dassl(os.path.join(out, "tiny-init.pth.tar-1"), state, 1, fresh.state_dict(), None)


# ============================================================================================
# 3. The other methods' checkpoints, each as its trainer registers it
# ============================================================================================
def class_buffers(module, width, n_ctx, n_cls=2):
    module.register_buffer("token_prefix", (torch.randn(n_cls, 1, width) * 0.02).half())
    module.register_buffer("token_suffix", (torch.randn(n_cls, CONTEXT - 1 - n_ctx, width) * 0.02).half())


class CoOpPromptLearner(nn.Module):
    # CoOp and CoCoOp register only their prompt learner, so its names carry no "prompt_learner." prefix.
    def __init__(self, n_ctx, width=128, embed=None):
        super().__init__()
        self.ctx = nn.Parameter((torch.randn(n_ctx, width) * 0.02).half())
        if embed is not None:
            self.meta_net = nn.Sequential(collections.OrderedDict([
                ("linear1", nn.Linear(embed, embed // 16)), ("relu", nn.ReLU(inplace=True)),
                ("linear2", nn.Linear(embed // 16, width))])).half()
        class_buffers(self, width, n_ctx)


coop = CoOpPromptLearner(16)
save_dassl(os.path.join(out, "authors-coop.pth.tar-50"), coop.state_dict(), 50, *train_briefly(coop, 2))
cocoop = CoOpPromptLearner(4, embed=64)
save_dassl(os.path.join(out, "authors-cocoop.pth.tar-10"), cocoop.state_dict(), 10, *train_briefly(cocoop, 2))


class IvlpBlock(nn.Module):
    def __init__(self, width, n_ctx, deep):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        if deep:
            self.VPT_shallow = nn.Parameter(torch.randn(n_ctx, width) * 0.02)


class IvlpEncoder(nn.Module):
    def __init__(self, width, n_ctx, depth, layers=3, vpt=False):
        super().__init__()
        self.transformer = nn.Module()
        self.transformer.resblocks = nn.ModuleList([IvlpBlock(width, n_ctx, 0 < i < depth) for i in range(layers)])
        if vpt:
            self.VPT = nn.Parameter(torch.randn(n_ctx, width) * 0.02)


class IvlpCLIP(nn.Module):
    # IVLP registers the whole model: prompts sit inside the encoders' blocks, next to frozen weights.
    def __init__(self, n_ctx=2, depth=3):
        super().__init__()
        self.prompt_learner = nn.Module()
        self.prompt_learner.ctx = nn.Parameter(torch.randn(n_ctx, 128) * 0.02)
        class_buffers(self.prompt_learner, 128, n_ctx)
        self.text_encoder = IvlpEncoder(128, n_ctx, depth)
        self.image_encoder = IvlpEncoder(192, n_ctx, depth, vpt=True)
        for name, p in self.named_parameters():
            p.requires_grad_(name.startswith("prompt_learner") or "VPT" in name)


ivlp = IvlpCLIP()
save_dassl(os.path.join(out, "authors-ivlp.pth.tar-5"), ivlp.state_dict(), 5, *train_briefly(ivlp, 2))

with open(os.path.join(out, "authors-methods.expected.json"), "w") as f:
    json.dump({name: {k: summary(v) for k, v in m.state_dict().items()}
               for name, m in [("coop", coop), ("cocoop", cocoop), ("ivlp", ivlp)]}, f, indent=1)


# ============================================================================================
# 4. A small CLIP as a TorchScript archive with the key layout of OpenAI's ViT-B-16.pt
# ============================================================================================
torch.manual_seed(20240612)
# Heads are width / 64 as in OpenAI's models; the MLP widths differ from 4 x width to keep the file small.
TEXT_WIDTH, TEXT_LAYERS, TEXT_MLP, VOCAB = 64, 2, 128, 256
VISION_WIDTH, VISION_LAYERS, VISION_MLP, PATCH, RESOLUTION = 128, 2, 64, 8, 16
EMBED = 32


class Attention(nn.Module):
    # Named like nn.MultiheadAttention (in_proj_weight, in_proj_bias, out_proj), as in OpenAI's blocks.
    def __init__(self, width: int):
        super().__init__()
        self.heads = width // 64
        self.in_proj_weight = nn.Parameter(torch.randn(3 * width, width) * width ** -0.5)
        self.in_proj_bias = nn.Parameter(torch.randn(3 * width) * 0.02)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q = q.reshape(batch, length, self.heads, -1).transpose(1, 2)
        k = k.reshape(batch, length, self.heads, -1).transpose(1, 2)
        v = v.reshape(batch, length, self.heads, -1).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + mask
        out = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, length, width)
        return self.out_proj(out)


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.attn = Attention(width)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(collections.OrderedDict([
            ("c_fc", nn.Linear(width, hidden)), ("gelu", QuickGELU()), ("c_proj", nn.Linear(hidden, width))]))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, hidden: int):
        super().__init__()
        self.resblocks = nn.ModuleList([Block(width, hidden) for _ in range(layers)])

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x, mask)
        return x


class Visual(nn.Module):
    def __init__(self):
        super().__init__()
        grid = RESOLUTION // PATCH
        self.conv1 = nn.Conv2d(3, VISION_WIDTH, PATCH, PATCH, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(VISION_WIDTH) * VISION_WIDTH ** -0.5)
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, VISION_WIDTH) * VISION_WIDTH ** -0.5)
        self.ln_pre = nn.LayerNorm(VISION_WIDTH)
        self.transformer = Transformer(VISION_WIDTH, VISION_LAYERS, VISION_MLP)
        self.ln_post = nn.LayerNorm(VISION_WIDTH)
        self.proj = nn.Parameter(torch.randn(VISION_WIDTH, EMBED) * VISION_WIDTH ** -0.5)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.conv1(image).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.positional_embedding)
        x = self.transformer(x, torch.zeros(x.shape[1], x.shape[1]))
        return self.ln_post(x[:, 0]) @ self.proj


class OpenAIStyleCLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = Visual()
        self.transformer = Transformer(TEXT_WIDTH, TEXT_LAYERS, TEXT_MLP)
        self.token_embedding = nn.Embedding(VOCAB, TEXT_WIDTH)
        self.positional_embedding = nn.Parameter(torch.randn(CONTEXT, TEXT_WIDTH) * 0.01)
        self.ln_final = nn.LayerNorm(TEXT_WIDTH)
        self.text_projection = nn.Parameter(torch.randn(TEXT_WIDTH, EMBED) * TEXT_WIDTH ** -0.5)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        # OpenAI's archives carry these three as integer entries of their state dict.
        self.register_buffer("input_resolution", torch.tensor(RESOLUTION))
        self.register_buffer("context_length", torch.tensor(CONTEXT))
        self.register_buffer("vocab_size", torch.tensor(VOCAB))

    @torch.jit.export
    def encode_image(self, image: torch.Tensor) -> torch.Tensor:
        return self.visual(image)

    @torch.jit.export
    def encode_text(self, text: torch.Tensor) -> torch.Tensor:
        x = self.token_embedding(text) + self.positional_embedding
        length = self.positional_embedding.shape[0]
        mask = torch.full((length, length), float("-inf")).triu(1)
        x = self.ln_final(self.transformer(x, mask))
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection

    def forward(self, image: torch.Tensor, text: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.encode_image(image), self.encode_text(text)


clip = OpenAIStyleCLIP()
with torch.no_grad():
    for name, p in clip.named_parameters():
        if name.endswith(("ln_1.weight", "ln_2.weight", "ln_pre.weight", "ln_post.weight", "ln_final.weight")):
            p.copy_(1 + 0.1 * torch.randn_like(p))
        elif name.endswith("bias"):
            p.copy_(0.05 * torch.randn_like(p))
        elif name == "token_embedding.weight":
            p.copy_(0.02 * torch.randn_like(p))
    # Round to fp16 first, so the fp32 reference uses exactly the values the fp16 archive holds.
    for p in clip.parameters():
        p.copy_(p.half().float())

pixels = torch.randn(2, 3, RESOLUTION, RESOLUTION)
text = torch.zeros(3, CONTEXT, dtype=torch.int64)
for row, length in enumerate([5, 9, 2]):
    text[row, 0] = VOCAB - 2  # start token
    text[row, 1:length - 1] = torch.randint(1, VOCAB - 2, (length - 2,))
    text[row, length - 1] = VOCAB - 1  # end token: the highest id, where the features are read
with torch.no_grad():
    image_features, text_features = clip(pixels, text)
write_safetensors(os.path.join(out, "openai-small.expected.safetensors"), collections.OrderedDict([
    ("pixels", pixels), ("token_ids", text), ("image_features", image_features), ("text_features", text_features)]))

scripted = torch.jit.script(clip.half())
archive = os.path.join(out, "openai-small.pt")
torch.jit.save(scripted, archive)

# Record every storage on "cuda:0", as an archive saved from a GPU does: loading must map it to the CPU.
# The module pickle is protocol 2 (no frames), so a string can be swapped in place.
with zipfile.ZipFile(archive) as z:
    records = [(info, z.read(info.filename)) for info in z.infolist()]
with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
    for info, data in records:
        if info.filename.endswith("/data.pkl"):
            assert data[:2] == b"\x80\x02"
            data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
        z.writestr(info, data)
print(sorted(torch.jit.load(archive, map_location="cpu").state_dict().keys()))
