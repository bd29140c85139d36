#!/usr/bin/env python3
"""The PyTorch side of Maple.Bench's side-by-side job: load a CLIP, read 8 PNGs, take 2 MaPLe training steps.

    /usr/bin/python3 tools/bench/pytorch_job.py MODEL_DIR DATA_DIR CLASSES_FILE [--threads 2] [--batch 4]

Debian's python3-torch computes its products in the system BLAS: install OpenBLAS (libopenblas0-pthread) first, or
they run in the reference BLAS, many times slower. MODEL_DIR is a Hugging Face CLIP folder (config.json, model.safetensors, vocab.json, merges.txt), DATA_DIR holds
one folder per class of images, CLASSES_FILE names the classes, one per line (the folders' names). What runs is
written here in plain PyTorch (1.13, fp32) the way the MaPLe authors' code runs it: OpenAI CLIP's model.py layout
(sequence-first nn.MultiheadAttention blocks, QuickGELU, the text encoder over all 77 positions), MaPLe's prompt
learner (n_ctx 2 initialised from "a photo of a", prompt depth 9, one 512->768 projection per depth for the vision
prompts), cross-entropy on the scaled cosine logits, SGD with momentum 0.9 and weight decay 5e-4. Images go through
the evaluation transform (shorter side to 224 bicubic, centre crop, CLIP's normalisation), in folder order, as
`maple train --no-augment --no-shuffle` reads them. Nothing is copied from the authors' code.

Prints one JSON line: seconds for import, load, data and each step (the process's own wall time is measured
outside, by the bench).
"""

import argparse
import json
import mmap
import os
import re
import struct
import sys
import time

START = time.perf_counter()
PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("model")
PARSER.add_argument("data")
PARSER.add_argument("classes")
PARSER.add_argument("--threads", type=int, default=2)
PARSER.add_argument("--batch", type=int, default=4)
ARGS = PARSER.parse_args()
# Debian's PyTorch does its products in the system BLAS (OpenBLAS when installed), whose threads torch does not set.
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

IMPORTED = time.perf_counter()

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_weights(path):
    """Every tensor of a safetensors file, each copied once out of the mapped file."""
    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    (length,) = struct.unpack("<Q", mapped[:8])
    header = json.loads(mapped[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        count = (end - begin) // torch.empty((), dtype=dtype).element_size()
        flat = torch.frombuffer(mapped, dtype=dtype, count=count, offset=base + begin)
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors


class Tokenizer:
    """CLIP's byte-level BPE, for the plain lower-case ASCII prompts of this job."""

    def __init__(self, folder):
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")[1:]
        self.ranks = {tuple(line.split()): i for i, line in enumerate(lines) if len(line.split()) == 2}
        self.sot, self.eot = self.encoder["<|startoftext|>"], self.encoder["<|endoftext|>"]

    def bpe(self, word):
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        while len(parts) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
        return [self.encoder[p] for p in parts]

    def __call__(self, text, context=77):
        ids = [self.sot]
        for word in re.findall(r"[a-z]+|[0-9]|[^\sa-z0-9]+", text.lower()):
            ids += self.bpe(word)
        ids.append(self.eot)
        return ids + [0] * (context - len(ids))


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, causal):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), QuickGELU(), nn.Linear(4 * width, width))
        self.ln_2 = nn.LayerNorm(width)
        self.causal = causal

    def forward(self, x):  # [length, batch, width]
        mask = None
        if self.causal:
            mask = torch.full((x.shape[0], x.shape[0]), float("-inf")).triu_(1)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Tower(nn.Module):
    def __init__(self, width, layers, heads, causal):
        super().__init__()
        self.blocks = nn.ModuleList([Block(width, heads, causal) for _ in range(layers)])


class Clip(nn.Module):
    def __init__(self, config):
        super().__init__()
        t, v = config["text_config"], config["vision_config"]
        self.patch = v["patch_size"]
        self.token_embedding = nn.Embedding(t["vocab_size"], t["hidden_size"])
        self.text_positions = nn.Parameter(torch.empty(t["max_position_embeddings"], t["hidden_size"]))
        self.text = Tower(t["hidden_size"], t["num_hidden_layers"], t["num_attention_heads"], causal=True)
        self.ln_final = nn.LayerNorm(t["hidden_size"])
        self.text_projection = nn.Parameter(torch.empty(t["hidden_size"], config["projection_dim"]))
        width = v["hidden_size"]
        self.conv1 = nn.Conv2d(3, width, self.patch, self.patch, bias=False)
        self.class_embedding = nn.Parameter(torch.empty(width))
        self.image_positions = nn.Parameter(torch.empty((v["image_size"] // self.patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.visual = Tower(width, v["num_hidden_layers"], v["num_attention_heads"], causal=False)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.empty(width, config["projection_dim"]))
        self.logit_scale = nn.Parameter(torch.empty(()))

    def load_hugging_face(self, w):
        """Copies Hugging Face CLIP weights into OpenAI's layout (q, k and v stacked into in_proj)."""
        def block(ours, prefix):
            for i, b in enumerate(ours.blocks):
                p = f"{prefix}.encoder.layers.{i}"
                b.attn.in_proj_weight.copy_(torch.cat([w[f"{p}.self_attn.{n}_proj.weight"] for n in "qkv"]))
                b.attn.in_proj_bias.copy_(torch.cat([w[f"{p}.self_attn.{n}_proj.bias"] for n in "qkv"]))
                b.attn.out_proj.weight.copy_(w[f"{p}.self_attn.out_proj.weight"])
                b.attn.out_proj.bias.copy_(w[f"{p}.self_attn.out_proj.bias"])
                for ln, name in ((b.ln_1, "layer_norm1"), (b.ln_2, "layer_norm2")):
                    ln.weight.copy_(w[f"{p}.{name}.weight"])
                    ln.bias.copy_(w[f"{p}.{name}.bias"])
                for layer, name in ((b.mlp[0], "fc1"), (b.mlp[2], "fc2")):
                    layer.weight.copy_(w[f"{p}.mlp.{name}.weight"])
                    layer.bias.copy_(w[f"{p}.mlp.{name}.bias"])

        with torch.no_grad():
            self.token_embedding.weight.copy_(w["text_model.embeddings.token_embedding.weight"])
            self.text_positions.copy_(w["text_model.embeddings.position_embedding.weight"])
            block(self.text, "text_model")
            self.ln_final.weight.copy_(w["text_model.final_layer_norm.weight"])
            self.ln_final.bias.copy_(w["text_model.final_layer_norm.bias"])
            self.text_projection.copy_(w["text_projection.weight"].t())
            self.conv1.weight.copy_(w["vision_model.embeddings.patch_embedding.weight"])
            self.class_embedding.copy_(w["vision_model.embeddings.class_embedding"])
            self.image_positions.copy_(w["vision_model.embeddings.position_embedding.weight"])
            self.ln_pre.weight.copy_(w["vision_model.pre_layrnorm.weight"])
            self.ln_pre.bias.copy_(w["vision_model.pre_layrnorm.bias"])
            block(self.visual, "vision_model")
            self.ln_post.weight.copy_(w["vision_model.post_layernorm.weight"])
            self.ln_post.bias.copy_(w["vision_model.post_layernorm.bias"])
            self.proj.copy_(w["visual_projection.weight"].t())
            self.logit_scale.copy_(w["logit_scale"])


class MapleLearner(nn.Module):
    """MaPLe's prompts: 2 text tokens from "a photo of a" at the input, 8 deeper pairs, vision tokens projected from text."""

    def __init__(self, clip, tokenizer, classnames, n_ctx=2, depth=9, ctx_init="a photo of a"):
        super().__init__()
        ids = torch.tensor([tokenizer(ctx_init)])
        with torch.no_grad():
            init = clip.token_embedding(ids)[0, 1:1 + n_ctx].clone()
        text_width, vision_width = init.shape[1], clip.class_embedding.shape[0]
        self.ctx = nn.Parameter(init)
        self.proj = nn.Linear(text_width, vision_width)
        self.compound_prompts_text = nn.ParameterList(
            [nn.Parameter(nn.init.normal_(torch.empty(n_ctx, text_width), std=0.02)) for _ in range(depth - 1)])
        self.compound_prompt_projections = nn.ModuleList([nn.Linear(text_width, vision_width) for _ in range(depth - 1)])
        self.token_ids = torch.tensor([tokenizer(f"{ctx_init} {name.replace('_', ' ')}.") for name in classnames])
        self.n_ctx = n_ctx


def encode_text(clip, learner):
    n, ids = learner.n_ctx, learner.token_ids
    x = clip.token_embedding(ids)
    x = torch.cat([x[:, :1], learner.ctx.unsqueeze(0).expand(len(ids), -1, -1), x[:, 1 + n:]], 1)
    x = (x + clip.text_positions).permute(1, 0, 2)
    for i, block in enumerate(clip.text.blocks):
        if 0 < i <= len(learner.compound_prompts_text):
            deep = learner.compound_prompts_text[i - 1].unsqueeze(1).expand(-1, x.shape[1], -1)
            x = torch.cat([x[:1], deep, x[1 + n:]], 0)
        x = block(x)
    x = clip.ln_final(x.permute(1, 0, 2))
    return x[torch.arange(x.shape[0]), ids.argmax(-1)] @ clip.text_projection


def encode_image(clip, learner, pixels):
    n = learner.n_ctx
    x = clip.conv1(pixels).flatten(2).transpose(1, 2)
    x = torch.cat([clip.class_embedding.expand(x.shape[0], 1, -1), x], 1) + clip.image_positions
    x = torch.cat([x, learner.proj(learner.ctx).unsqueeze(0).expand(x.shape[0], -1, -1)], 1)
    x = clip.ln_pre(x).permute(1, 0, 2)
    for i, block in enumerate(clip.visual.blocks):
        if 0 < i <= len(learner.compound_prompt_projections):
            deep = learner.compound_prompt_projections[i - 1](learner.compound_prompts_text[i - 1])
            x = torch.cat([x[:-n], deep.unsqueeze(1).expand(-1, x.shape[1], -1)], 0)
        x = block(x)
    return clip.ln_post(x[0]) @ clip.proj


def load_image(path):
    image = Image.open(path).convert("RGB")
    scale = 224 / min(image.size)
    image = image.resize((max(224, round(image.width * scale)), max(224, round(image.height * scale))), Image.BICUBIC)
    left, top = (image.width - 224) // 2, (image.height - 224) // 2
    pixels = np.asarray(image.crop((left, top, left + 224, top + 224)), dtype=np.float32) / 255
    return ((torch.from_numpy(pixels) - torch.tensor(MEAN)) / torch.tensor(STD)).permute(2, 0, 1)


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    begin = time.perf_counter()
    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
        clip = Clip(json.load(f))
    clip.load_hugging_face(read_weights(os.path.join(args.model, "model.safetensors")))
    clip.requires_grad_(False)
    tokenizer = Tokenizer(args.model)
    with open(args.classes, encoding="utf-8") as f:
        classnames = [line.strip() for line in f if line.strip()]
    learner = MapleLearner(clip, tokenizer, classnames)
    loaded = time.perf_counter()

    files = [(os.path.join(args.data, name, file), label) for label, name in enumerate(classnames)
             if os.path.isdir(os.path.join(args.data, name)) for file in sorted(os.listdir(os.path.join(args.data, name)))]
    pixels = torch.stack([load_image(path) for path, _ in files])
    labels = torch.tensor([label for _, label in files])
    read = time.perf_counter()

    sgd = torch.optim.SGD(learner.parameters(), lr=0.0035, momentum=0.9, weight_decay=5e-4)
    steps = []
    for start in range(0, len(files), args.batch):
        step_begin = time.perf_counter()
        text = F.normalize(encode_text(clip, learner), dim=-1)
        image = F.normalize(encode_image(clip, learner, pixels[start:start + args.batch]), dim=-1)
        loss = F.cross_entropy(clip.logit_scale.exp() * image @ text.t(), labels[start:start + args.batch])
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        if not torch.isfinite(loss):
            sys.exit("the loss is not finite")
        steps.append(time.perf_counter() - step_begin)

    print(json.dumps({"import": IMPORTED - START, "load": loaded - begin, "data": read - loaded, "steps": steps,
                      "images": len(files), "classes": len(classnames), "threads": args.threads}))


if __name__ == "__main__":
    main()
