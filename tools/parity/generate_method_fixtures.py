#!/usr/bin/env python3
"""Reference values for Maple's per-method parity tests, computed by the authors' own trainers.

    python3 tools/parity/generate_method_fixtures.py AUTHORS_CHECKOUT [--shared DIR] [--out DIR]

AUTHORS_CHECKOUT is a checkout of github.com/muzairkhattak/multimodal-prompt-learning (tested at 69bce21).
Nothing of it is copied here: this script imports its trainers/ and clip/ packages from that path and runs
them on the shared tiny CLIP (../shared/fixtures/tiny-maple: model/, inputs.safetensors, case.json).

What runs is the authors' code: each trainer's load_clip_to_cpu + clip.build_model (with the trainer's
design_details), its CustomCLIP, its build_model (which parameters it unfreezes, which module the
optimizer gets), its forward in eval mode for the logits, and its forward_backward for the three SGD
steps. The environment around it is replaced at run time:

- dassl: minimal stand-ins for TRAINER_REGISTRY, TrainerX (register_model, model_backward_and_update,
  set_model_mode), build_optimizer (dassl's SGD: momentum 0.9, weight decay 5e-4, no dampening, no
  Nesterov), build_lr_scheduler (constant: the fixtures check three steps without a schedule).
- clip._download returns the tiny model, converted from Hugging Face names to the OpenAI state-dict layout
  that clip.build_model reads (heads = width / 64 there, which the tiny model satisfies: 128/2, 192/3).
- Pure fp32: torch.Tensor.half is the identity while the authors' code runs, so convert_weights keeps
  fp32 weights and the prompts are not rounded to fp16 (their code calls .half() on prompt tokens inside
  an otherwise fp32 graph when PREC is fp32); every trainer runs with PREC "fp32". torch.Tensor.cuda is
  the identity too (vpt.py moves the fixed text features with .cuda()).
- ftfy and torchvision, when not installed, are replaced by stand-ins: ftfy.fix_text as the identity (the
  prompts are plain ASCII) and torchvision.transforms names that are never called (no image is loaded;
  the images in inputs.safetensors are already normalised).

The learnable parameters start from the trainers' own initialisation under torch.manual_seed(SEED) and
are saved as init.<name>; Maple's tests load those instead of re-creating a random generator.

Per method, <out>/<method>.safetensors holds (F32 unless noted):
  token_ids I64 [classes, 77]       the prompts' tokens
  init.<name>                       learnable tensors before training (authors' state-dict names)
  logits [4, classes]               batch 0, initial parameters, eval mode
  loss []                           mean cross-entropy of those logits against labels[0]
  grad.<name>                       gradient of that loss for every learnable tensor
  train_losses [3]                  the loss of each of the 3 steps (batches 0, 1, 2)
  final.<name>                      parameters after the 3 SGD steps
Zero-shot CLIP has no learnable tensors: token_ids, logits, loss and text_features (L2-normalised).
<out>/methods.json records each method's settings.
"""

import argparse
import json
import os
import sys
import tempfile
import types

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

SEED = 1

# Each method's authors' config, scaled to the tiny 3-layer model (prompt depth 12 -> 3). The config files
# named are in the authors' repository under configs/trainers/. MaPLe is not here: trainers/maple.py hard-codes
# ViT-B/16's widths (Linear(ctx_dim, 768), deep text prompts of width 512), so it cannot run on the tiny model;
# the shared fixture tiny-maple/expected_fp32.safetensors covers it.
METHODS = {
    "coop": dict(trainer="CoOp", module="coop", lr=0.002,  # CoOp/vit_b16.yaml; N_CTX 16, CTX_INIT "" (scripts/coop/main.sh)
                 section="COOP", settings=dict(N_CTX=16, CSC=False, CTX_INIT="", PREC="fp32", CLASS_TOKEN_POSITION="end")),
    "cocoop": dict(trainer="CoCoOp", module="cocoop", lr=0.002,  # CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml
                   section="COCOOP", settings=dict(N_CTX=4, CTX_INIT="a photo of a", PREC="fp32")),
    "ivlp": dict(trainer="IVLP", module="independentVL", lr=0.0035,  # IVLP/vit_b16_c2_ep5_batch4_2+2ctx.yaml
                 section="IVLP", settings=dict(N_CTX_VISION=2, N_CTX_TEXT=2, CTX_INIT="a photo of a", PREC="fp32",
                                               PROMPT_DEPTH_VISION=3, PROMPT_DEPTH_TEXT=3)),
    "deep-language": dict(trainer="IVLP", module="independentVL", lr=0.0025,  # IVLP/vit_b16_c2_ep5_batch4_4ctx_language_only.yaml
                          section="IVLP", settings=dict(N_CTX_VISION=0, N_CTX_TEXT=4, CTX_INIT="a photo of a", PREC="fp32",
                                                        PROMPT_DEPTH_VISION=0, PROMPT_DEPTH_TEXT=3)),
    "vpt-deep": dict(trainer="VPT", module="vpt", lr=0.0025,  # VPT/vit_b16_c2_ep5_batch4_4.yaml
                     section="VPT", settings=dict(N_CTX_VISION=8, CTX_INIT="a photo of a", PREC="fp32", PROMPT_DEPTH_VISION=3)),
    "zeroshot": dict(trainer="ZeroshotCLIP", module="zsclip", lr=None, section=None, settings={}),
}


# ---------------------------------------------------------------- Hugging Face -> OpenAI layout

def openai_state_dict(hf):
    """The tiny model's weights under the names clip.build_model expects."""
    sd = {}

    def blocks(hf_prefix, oa_prefix):
        layers = sorted({int(k[len(hf_prefix):].split(".")[0]) for k in hf if k.startswith(hf_prefix)})
        for i in layers:
            p, o = f"{hf_prefix}{i}.", f"{oa_prefix}{i}."
            sd[o + "attn.in_proj_weight"] = torch.cat([hf[p + f"self_attn.{x}_proj.weight"] for x in "qkv"])
            sd[o + "attn.in_proj_bias"] = torch.cat([hf[p + f"self_attn.{x}_proj.bias"] for x in "qkv"])
            sd[o + "attn.out_proj.weight"] = hf[p + "self_attn.out_proj.weight"]
            sd[o + "attn.out_proj.bias"] = hf[p + "self_attn.out_proj.bias"]
            for hf_name, oa_name in [("layer_norm1", "ln_1"), ("layer_norm2", "ln_2"), ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj")]:
                sd[o + oa_name + ".weight"] = hf[p + hf_name + ".weight"]
                sd[o + oa_name + ".bias"] = hf[p + hf_name + ".bias"]

    sd["token_embedding.weight"] = hf["text_model.embeddings.token_embedding.weight"]
    sd["positional_embedding"] = hf["text_model.embeddings.position_embedding.weight"]
    blocks("text_model.encoder.layers.", "transformer.resblocks.")
    sd["ln_final.weight"] = hf["text_model.final_layer_norm.weight"]
    sd["ln_final.bias"] = hf["text_model.final_layer_norm.bias"]
    sd["text_projection"] = hf["text_projection.weight"].t().contiguous()
    sd["visual.class_embedding"] = hf["vision_model.embeddings.class_embedding"]
    sd["visual.conv1.weight"] = hf["vision_model.embeddings.patch_embedding.weight"]
    sd["visual.positional_embedding"] = hf["vision_model.embeddings.position_embedding.weight"]
    sd["visual.ln_pre.weight"] = hf["vision_model.pre_layrnorm.weight"]
    sd["visual.ln_pre.bias"] = hf["vision_model.pre_layrnorm.bias"]
    blocks("vision_model.encoder.layers.", "visual.transformer.resblocks.")
    sd["visual.ln_post.weight"] = hf["vision_model.post_layernorm.weight"]
    sd["visual.ln_post.bias"] = hf["vision_model.post_layernorm.bias"]
    sd["visual.proj"] = hf["visual_projection.weight"].t().contiguous()
    sd["logit_scale"] = hf["logit_scale"].reshape(())
    return sd


# ---------------------------------------------------------------- stand-ins for the authors' environment

def recording(optimizer_class):
    """optimizer_class, keeping the gradients seen by its first step (those of batch 0 at the initial parameters)."""

    class Recording(optimizer_class):
        def __init__(self, params, **kwargs):
            super().__init__(params, **kwargs)
            self.first_grads = None

        def step(self, closure=None):
            if self.first_grads is None:
                self.first_grads = {id(p): p.grad.detach().clone() for g in self.param_groups for p in g["params"] if p.grad is not None}
            return super().step(closure)

    return Recording


RecordingSGD = recording(torch.optim.SGD)  # dassl's SGD


def install_stubs():
    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    class Registry:
        def __init__(self):
            self.classes = {}

        def register(self):
            def add(cls):
                self.classes[cls.__name__] = cls
                return cls
            return add

    class TrainerX:
        """The parts of dassl's TrainerX that the trainers call in build_model and forward_backward."""

        def register_model(self, name, model, optim, sched):
            self._models = getattr(self, "_models", {})
            self._models[name] = model

        def set_model_mode(self, mode):
            for model in self._models.values():
                model.train() if mode == "train" else model.eval()

        def model_backward_and_update(self, loss):
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()

        def update_lr(self):
            pass

    def build_optimizer(model, optim_cfg, param_groups=None):
        return RecordingSGD(model.parameters(), lr=optim_cfg.LR, momentum=0.9, weight_decay=5e-4, dampening=0, nesterov=False)

    def compute_accuracy(output, target, topk=(1,)):
        return [(output.argmax(1) == target).float().mean() * 100]

    module("dassl")
    module("dassl.engine", TRAINER_REGISTRY=Registry(), TrainerX=TrainerX)
    module("dassl.metrics", compute_accuracy=compute_accuracy)
    module("dassl.utils", load_pretrained_weights=None, load_checkpoint=None)
    module("dassl.optim", build_optimizer=build_optimizer, build_lr_scheduler=lambda optim, cfg: None)
    try:
        import ftfy  # noqa: F401
    except ImportError:
        module("ftfy", fix_text=lambda text: text)
    try:
        import torchvision  # noqa: F401
    except ImportError:
        names = ["Compose", "Resize", "CenterCrop", "ToTensor", "Normalize"]
        transforms = module("torchvision.transforms", **{n: None for n in names},
                            InterpolationMode=types.SimpleNamespace(BICUBIC="bicubic"))
        module("torchvision", transforms=transforms)


def enter_authors_code(checkout):
    """Makes the authors' packages in `checkout` importable and runs them on one CPU thread, in pure fp32."""
    torch.set_num_threads(1)
    install_stubs()
    sys.path.insert(0, os.path.abspath(checkout))
    torch.Tensor.half = lambda self, *a, **k: self
    torch.Tensor.cuda = lambda self, *a, **k: self


def namespace(d):
    return types.SimpleNamespace(**{k: namespace(v) if isinstance(v, dict) else v for k, v in d.items()})


# ---------------------------------------------------------------- running one method

def run(name, spec, model_file, classnames, images, labels):
    trainer_module = __import__(f"trainers.{spec['module']}", fromlist=["*"])
    registry = sys.modules["dassl.engine"].TRAINER_REGISTRY
    cls = registry.classes[spec["trainer"]]
    cfg = {
        "MODEL": {"BACKBONE": {"NAME": "ViT-B/16"}, "INIT_WEIGHTS": ""},
        "INPUT": {"SIZE": (224, 224)},
        "OPTIM": {"LR": spec["lr"] or 0.0},
        "DATASET": {"NAME": "ImageNet"},  # zsclip's CUSTOM_TEMPLATES["ImageNet"] = "a photo of a {}."
        "TRAINER": {},
    }
    if spec["section"]:
        cfg["TRAINER"][spec["section"]] = dict(spec["settings"])
    trainer = cls.__new__(cls)
    trainer.cfg = namespace(cfg)
    trainer.dm = types.SimpleNamespace(dataset=types.SimpleNamespace(classnames=list(classnames)))
    trainer.device = torch.device("cpu")
    trainer.num_batches = 10 ** 9

    clip_pkg = sys.modules["clip.clip"]
    clip_pkg._download = lambda url, root=None: model_file
    torch.manual_seed(SEED)
    trainer.build_model()
    out = {}

    if name == "zeroshot":
        with torch.no_grad():
            logits = trainer.model_inference(images[0])
        tokens = torch.cat([clip_pkg.tokenize("a photo of a {}.".format(c.replace("_", " "))) for c in classnames])
        out.update(token_ids=tokens.long(), logits=logits, loss=F.cross_entropy(logits, labels[0]),
                   text_features=trainer.text_features)
        return out

    model = trainer.model
    learnable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    by_id = {id(p): n for n, p in learnable}
    optimised = {id(p) for g in trainer.optim.param_groups for p in g["params"]}
    assert by_id.keys() <= optimised, f"{name}: a learnable tensor is not in the optimizer"
    for n, p in learnable:
        out[f"init.{n}"] = p.detach().clone()
    if hasattr(model, "tokenized_prompts"):
        out["token_ids"] = model.tokenized_prompts.long()
    else:  # VPT's fixed prompts
        out["token_ids"] = torch.cat([clip_pkg.tokenize("a photo of a {}.".format(c.replace("_", " "))) for c in classnames]).long()

    trainer.set_model_mode("eval")
    with torch.no_grad():
        logits = model(images[0])
    out["logits"] = logits
    out["loss"] = F.cross_entropy(logits, labels[0])

    trainer.set_model_mode("train")
    losses = []
    for step in range(3):
        trainer.batch_idx = step
        summary = trainer.forward_backward({"img": images[step], "label": labels[step]})
        losses.append(summary["loss"])
    out["train_losses"] = torch.tensor(losses, dtype=torch.float32)
    assert abs(losses[0] - out["loss"].item()) <= 1e-5 * max(1.0, abs(losses[0])), f"{name}: train-mode loss differs from eval-mode logits"
    for pid, grad in trainer.optim.first_grads.items():
        out[f"grad.{by_id[pid]}"] = grad
    for n, p in learnable:
        out[f"final.{n}"] = p.detach().clone()
    assert all(f"grad.{n}" in out for n, _ in learnable), f"{name}: a learnable tensor got no gradient"
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("authors", help="checkout of muzairkhattak/multimodal-prompt-learning")
    parser.add_argument("--shared", default=os.path.join(repo, "..", "shared", "fixtures", "tiny-maple"))
    parser.add_argument("--out", default=os.path.join(repo, "tests", "Maple.Tests", "TestData", "parity"))
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()

    enter_authors_code(args.authors)

    with open(os.path.join(args.shared, "case.json")) as f:
        case = json.load(f)
    inputs = read_safetensors(os.path.join(args.shared, "inputs.safetensors"))
    images, labels = inputs["images"], inputs["labels"]
    hf = read_safetensors(os.path.join(args.shared, "model", "model.safetensors"))
    state_dict = openai_state_dict(hf)

    os.makedirs(args.out, exist_ok=True)
    settings = {}
    with tempfile.TemporaryDirectory() as tmp:
        model_file = os.path.join(tmp, "tiny-openai.pt")
        torch.save(state_dict, model_file)
        # Every weight of the plain CLIP must come from the file (build_model falls back to strict=False).
        from clip import model as clip_model
        plain = clip_model.build_model(dict(state_dict), {"trainer": "CoOp", "vision_depth": 0, "language_depth": 0,
                                                         "vision_ctx": 0, "language_ctx": 0})
        plain.load_state_dict(state_dict, strict=True)
        for name in args.methods.split(","):
            spec = METHODS[name]
            out = run(name, spec, model_file, case["classnames"], images, labels)
            write_safetensors(os.path.join(args.out, f"{name}.safetensors"), {k: out[k] for k in sorted(out)})
            settings[name] = {"trainer": spec["trainer"], "file": f"trainers/{spec['module']}.py",
                              "lr": spec["lr"], "settings": spec["settings"]}
            print(f"{name}: loss {out['loss'].item():.6f}, train losses {[round(x, 6) for x in out.get('train_losses', torch.zeros(0)).tolist()]}")
    settings["_case"] = {"seed": SEED, "steps": 3, "batch": int(images.shape[1]), "momentum": 0.9, "weight_decay": 5e-4,
                         "schedule": "none", "precision": "fp32 (Tensor.half as identity)", "classnames": case["classnames"]}
    with open(os.path.join(args.out, "methods.json"), "w") as f:
        json.dump(settings, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
