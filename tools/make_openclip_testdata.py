# Makes the open_clip-layout test models in tests/Maple.Tests/TestData/openclip (see the README there) and
# the features and logits a plain PyTorch CLIP computes from them. Needs PyTorch (Debian's python3-torch
# 1.13 was used); the tests and the library never run Python.
#
#     /usr/bin/python3 tools/make_openclip_testdata.py [OUTPUT_FOLDER]
#
# The forward pass below is written for this script on torch.nn's own blocks (nn.MultiheadAttention,
# nn.GELU, nn.LayerNorm), so it shares no code with Maple's encoders. The models are small and random;
# what they pin is the part of the architecture that no weight shape shows: the number of attention
# heads (open_clip's head_width, the text tower's heads) and the MLP activation (quick_gelu or GELU).
import collections
import json
import math
import os
import sys

import torch
from torch import nn

from safetensors_io import write_safetensors

repo = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "tests", "Maple.Tests", "TestData", "openclip")


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, hidden, quick_gelu):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(collections.OrderedDict([
            ("c_fc", nn.Linear(width, hidden)),
            ("gelu", QuickGELU() if quick_gelu else nn.GELU()),
            ("c_proj", nn.Linear(hidden, width))]))

    def forward(self, x, mask):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Tower(nn.Module):
    def __init__(self, width, layers, heads, hidden, quick_gelu):
        super().__init__()
        self.resblocks = nn.ModuleList([Block(width, heads, hidden, quick_gelu) for _ in range(layers)])

    def forward(self, x, mask=None):
        for block in self.resblocks:
            x = block(x, mask)
        return x


class Vision(nn.Module):
    def __init__(self, cfg, embed, quick_gelu):
        super().__init__()
        width, patch = cfg["width"], cfg["patch_size"]
        grid = cfg["image_size"] // patch
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width) * width ** -0.5)
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, width) * width ** -0.5)
        self.ln_pre = nn.LayerNorm(width)
        heads = width // cfg.get("head_width", 64)
        hidden = int(width * cfg.get("mlp_ratio", 4.0))
        self.transformer = Tower(width, cfg["layers"], heads, hidden, quick_gelu)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.randn(width, embed) * width ** -0.5)

    def forward(self, image):
        x = self.conv1(image).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], dim=1) + self.positional_embedding
        x = self.transformer(self.ln_pre(x))
        return self.ln_post(x[:, 0]) @ self.proj


class OpenClipStyleCLIP(nn.Module):
    # open_clip's CLIP class keeps the text tower at the top level, under OpenAI's names.
    def __init__(self, cfg):
        super().__init__()
        quick_gelu = cfg.get("quick_gelu", False)
        text, embed = cfg["text_cfg"], cfg["embed_dim"]
        width = text["width"]
        self.visual = Vision(cfg["vision_cfg"], embed, quick_gelu)
        self.transformer = Tower(width, text["layers"], text["heads"], int(width * text.get("mlp_ratio", 4.0)), quick_gelu)
        self.token_embedding = nn.Embedding(text["vocab_size"], width)
        self.positional_embedding = nn.Parameter(torch.randn(text["context_length"], width) * 0.01)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.randn(width, embed) * width ** -0.5)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def encode_text(self, ids):
        length = ids.shape[1]
        mask = torch.full((length, length), float("-inf")).triu(1)
        x = self.transformer(self.token_embedding(ids) + self.positional_embedding, mask)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), ids.argmax(dim=-1)] @ self.text_projection

    def state_dict_openai(self):
        # nn.MultiheadAttention already names its weights as OpenAI's blocks do (in_proj_weight, out_proj).
        return collections.OrderedDict((k, v.detach().half()) for k, v in self.state_dict().items())


def make(name, config, seed):
    torch.manual_seed(seed)
    cfg = config["model_cfg"]
    clip = OpenClipStyleCLIP(cfg).eval()
    with torch.no_grad():
        for key, p in clip.named_parameters():
            if key.endswith(("ln_1.weight", "ln_2.weight", "ln_pre.weight", "ln_post.weight", "ln_final.weight")):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif key.endswith("bias"):
                p.copy_(0.05 * torch.randn_like(p))
            elif key == "token_embedding.weight":
                p.copy_(0.02 * torch.randn_like(p))
            elif key.endswith(("in_proj_weight", "c_fc.weight", "c_proj.weight", "out_proj.weight")):
                # Large enough that every head's attention pattern is far from uniform, so a wrong split
                # of the width into heads shows in the features.
                p.copy_(torch.randn_like(p) * p.shape[1] ** -0.5 * 2)
        # Stored in fp16 to keep the files small; the reference computes in fp32 from the same rounded values.
        for p in clip.parameters():
            p.copy_(p.half().float())

    vision, text = cfg["vision_cfg"], cfg["text_cfg"]
    pixels = torch.randn(3, 3, vision["image_size"], vision["image_size"])
    vocab, context = text["vocab_size"], text["context_length"]
    ids = torch.zeros(4, context, dtype=torch.int64)
    for row, length in enumerate([4, 9, context, 2]):
        ids[row, 0] = vocab - 2  # start token
        ids[row, 1:length - 1] = torch.randint(1, vocab - 2, (length - 2,))
        ids[row, length - 1] = vocab - 1  # end token: the highest id, where the features are read
    with torch.no_grad():
        image_features = clip.visual(pixels)
        text_features = clip.encode_text(ids)
        logits = clip.logit_scale.exp() * nn.functional.normalize(image_features, dim=-1) @ nn.functional.normalize(text_features, dim=-1).T

    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "open_clip_model.safetensors"), clip.state_dict_openai())
    with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(folder, "expected.safetensors"), collections.OrderedDict([
        ("pixels", pixels), ("token_ids", ids), ("image_features", image_features),
        ("text_features", text_features), ("logits", logits)]))


# GELU, as LAION's open_clip models: no "quick_gelu" key (open_clip's default is false), heads 64 wide in
# the image tower (head_width's default) and 32 wide in the text tower.
make("gelu", {
    "model_cfg": {
        "embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 128, "patch_size": 8},
        "text_cfg": {"context_length": 16, "vocab_size": 300, "width": 64, "heads": 2, "layers": 2},
    },
    "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
}, seed=20261203)

# Heads 80 wide in the image tower, as ViT-H/14's, an MLP ratio that is not 4 (as ViT-bigG's), patch 14 and
# QuickGELU (as open_clip's "-quickgelu" models).
make("head-width-80", {
    "model_cfg": {
        "embed_dim": 48,
        "quick_gelu": True,
        "vision_cfg": {"image_size": 28, "layers": 2, "width": 160, "head_width": 80, "mlp_ratio": 2.5, "patch_size": 14},
        "text_cfg": {"context_length": 16, "vocab_size": 300, "width": 64, "heads": 4, "layers": 2},
    },
    "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]},
}, seed=20261204)
