#!/usr/bin/env python3
"""Reference values for Maple's MMRL parity tests, computed by the authors' own trainer.

    python3 tools/parity/generate_mmrl_fixtures.py MMRL_CHECKOUT [--shared DIR] [--out DIR]

MMRL_CHECKOUT is a checkout of github.com/yunncheng/MMRL (tested at 27d8821). Nothing of it is copied here:
this script imports its trainers/ and clip/ packages from that path and runs trainers/mmrl.py (load_clip_to_cpu +
clip.build_model_MMRL with the trainer's design_details, CustomCLIP, MMRL.build_model, MMRL_Loss,
MMRL.forward_backward) on the shared tiny CLIP (../shared/fixtures/tiny-maple). The environment around it is the
one generate_method_fixtures.py sets up (its stand-ins for dassl, ftfy and torchvision, the tiny model in the
OpenAI layout, Tensor.half and .cuda as identities), with two differences: dassl's build_optimizer gives
torch.optim.AdamW (dassl's "adamw": weight decay 5e-4, betas 0.9/0.999, eps 1e-8) and nn.Module.cuda is the
identity too (mmrl.py moves the zero-shot text encoder with it).

The case: the authors' vit_b16.yaml scaled to the tiny 3-layer model. REP_LAYERS [2, 3] (their [6..12] are the last
7 of 12 layers; here the last 2 of 3), N_REP_TOKENS 5, ALPHA 0.7, REP_DIM 32 (512 in their configs: smaller keeps
the fixture small), PREC fp32, LR 0.001, DATASET.NAME OxfordPets (template "a photo of a {}, a type of pet."), and
REG_WEIGHT from their trainers/config.py for OxfordPets (0.2). Batches 0, 1, 2 of inputs.safetensors, no schedule.

<out>/mmrl.safetensors holds (F32 unless noted):
  token_ids I64 [classes, 77]          the prompts' tokens
  init.<name>                          learnable tensors before training (authors' state-dict names)
  logits, logits_rep, logits_fusion    [4, classes], batch 0, initial parameters, eval mode
  image_features, text_features        the normalised class-token image and text features of that pass
  text_features_clip                   frozen CLIP's normalised text features (MMRL.text_features_clip)
  image_features_clip                  frozen CLIP's normalised image features of batch 0
  loss_ce, loss_ce_rep                 cross-entropy of logits and of logits_rep against labels[0]
  loss_cos_image, loss_cos_text        1 - mean cosine of the image / text features with frozen CLIP's
  loss                                 MMRL_Loss of these (train mode: the first step's loss)
  grad.<name>                          gradient of that loss for every learnable tensor
  train_losses [3]                     the loss of each of the 3 AdamW steps (batches 0, 1, 2)
  final.<name>                         parameters after the 3 steps
<out>/mmrl.json records the settings.

<checkpoint> (tests/Maple.Tests/TestData/import/authors-mmrl.pth.tar-3) is the trained model as Dassl's save_model
writes it (torch.save of {"state_dict", "epoch", "optimizer", "scheduler", "val_result"}), its state_dict cut to the
learned tensors, the prompt_embeddings buffer and three frozen CLIP tensors (the whole frozen CLIP would weigh
megabytes and says nothing more about the import).
"""

import argparse
import json
import os
import sys
import tempfile
import types

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import generate_method_fixtures as common  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

SEED = 1
DATASET = "OxfordPets"
SETTINGS = dict(ALPHA=0.7, N_REP_TOKENS=5, REP_LAYERS=[2, 3], PREC="fp32", REP_DIM=32)
LR = 0.001


RecordingAdamW = common.recording(torch.optim.AdamW)  # dassl's AdamW


def build_optimizer(model, optim_cfg, param_groups=None):
    return RecordingAdamW(model.parameters(), lr=optim_cfg.LR, weight_decay=5e-4, betas=(0.9, 0.999))


def run(model_file, classnames, images, labels, reg_weight):
    import trainers.mmrl as mmrl
    registry = sys.modules["dassl.engine"].TRAINER_REGISTRY
    cls = registry.classes["MMRL"]
    settings = dict(SETTINGS, REG_WEIGHT=reg_weight)
    cfg = {
        "MODEL": {"BACKBONE": {"NAME": "ViT-B/16"}, "INIT_WEIGHTS": ""},
        "INPUT": {"SIZE": (224, 224)},
        "OPTIM": {"LR": LR},
        "DATASET": {"NAME": DATASET, "SUBSAMPLE_CLASSES": "base"},
        "TASK": "B2N",
        "TRAINER": {"MMRL": settings},
    }
    trainer = cls.__new__(cls)
    trainer.cfg = common.namespace(cfg)
    trainer.dm = types.SimpleNamespace(dataset=types.SimpleNamespace(classnames=list(classnames)))
    trainer.device = torch.device("cpu")
    trainer.num_batches = 10 ** 9

    sys.modules["clip.clip"]._download = lambda url, root=None: model_file
    torch.manual_seed(SEED)
    trainer.build_model()
    model = trainer.model
    learnable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    by_id = {id(p): n for n, p in learnable}
    optimised = {id(p) for g in trainer.optim.param_groups for p in g["params"]}
    assert by_id.keys() <= optimised, "a learnable tensor is not in the optimizer"
    out = {f"init.{n}": p.detach().clone() for n, p in learnable}
    out["token_ids"] = model.tokenized_prompts.long()
    out["text_features_clip"] = trainer.text_features_clip

    trainer.set_model_mode("eval")
    with torch.no_grad():
        logits, logits_rep, logits_fusion, image_features, text_features = model(images[0])
        image_clip = trainer.image_encoder_clip(images[0])
        image_clip = image_clip / image_clip.norm(dim=-1, keepdim=True)
    model.text_features_for_inference = None  # the eval-mode cache must not outlive the initial parameters
    out.update(logits=logits, logits_rep=logits_rep, logits_fusion=logits_fusion,
               image_features=image_features, text_features=text_features, image_features_clip=image_clip)
    out["loss_ce"] = F.cross_entropy(logits, labels[0])
    out["loss_ce_rep"] = F.cross_entropy(logits_rep, labels[0])
    out["loss_cos_image"] = 1 - F.cosine_similarity(image_features, image_clip, dim=1).mean()
    out["loss_cos_text"] = 1 - F.cosine_similarity(text_features, trainer.text_features_clip, dim=1).mean()
    with torch.no_grad():
        total = trainer.criterion(logits, logits_rep, image_features, text_features, image_clip, trainer.text_features_clip, labels[0])
    alpha = settings["ALPHA"]
    by_terms = alpha * out["loss_ce"] + (1 - alpha) * out["loss_ce_rep"] + reg_weight * (out["loss_cos_image"] + out["loss_cos_text"])
    assert abs(total.item() - by_terms.item()) <= 1e-5, "MMRL_Loss is not the weighted sum of the terms"
    out["loss"] = total

    trainer.set_model_mode("train")
    losses = []
    for step in range(3):
        trainer.batch_idx = step
        summary = trainer.forward_backward({"img": images[step], "label": labels[step]})
        losses.append(summary["loss"])
    out["train_losses"] = torch.tensor(losses, dtype=torch.float32)
    assert abs(losses[0] - total.item()) <= 1e-5 * max(1.0, abs(losses[0])), "train-mode loss differs from eval-mode terms"
    for pid, grad in trainer.optim.first_grads.items():
        out[f"grad.{by_id[pid]}"] = grad
    for n, p in learnable:
        out[f"final.{n}"] = p.detach().clone()
    assert all(f"grad.{n}" in out for n, _ in learnable), "a learnable tensor got no gradient"
    kept = {n for n, _ in learnable} | {"prompt_embeddings", "image_encoder.proj", "image_encoder.class_embedding", "text_encoder.text_projection"}
    checkpoint = {"state_dict": {k: v for k, v in model.state_dict().items() if k in kept}, "epoch": 3,
                  "optimizer": trainer.optim.state_dict(), "scheduler": None, "val_result": None}
    return out, settings, checkpoint


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("authors", help="checkout of yunncheng/MMRL")
    parser.add_argument("--shared", default=os.path.join(repo, "..", "shared", "fixtures", "tiny-maple"))
    parser.add_argument("--out", default=os.path.join(repo, "tests", "Maple.Tests", "TestData", "parity"))
    parser.add_argument("--checkpoint", default=os.path.join(repo, "tests", "Maple.Tests", "TestData", "import", "authors-mmrl.pth.tar-3"))
    args = parser.parse_args()

    torch.set_num_threads(1)
    common.install_stubs()
    sys.modules["dassl.optim"].build_optimizer = build_optimizer
    sys.path.insert(0, os.path.abspath(args.authors))
    torch.Tensor.half = lambda self, *a, **k: self
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self

    from trainers.config import get_dataset_specified_config
    overrides = get_dataset_specified_config(dataset=DATASET, trainer="MMRL", task="B2N")
    reg_weight = dict(zip(overrides[::2], overrides[1::2]))["TRAINER.MMRL.REG_WEIGHT"]

    with open(os.path.join(args.shared, "case.json")) as f:
        case = json.load(f)
    inputs = read_safetensors(os.path.join(args.shared, "inputs.safetensors"))
    images, labels = inputs["images"], inputs["labels"]
    hf = read_safetensors(os.path.join(args.shared, "model", "model.safetensors"))
    state_dict = common.openai_state_dict(hf)

    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model_file = os.path.join(tmp, "tiny-openai.pt")
        torch.save(state_dict, model_file)
        out, settings, checkpoint = run(model_file, case["classnames"], images, labels, reg_weight)
    torch.save(checkpoint, args.checkpoint)
    write_safetensors(os.path.join(args.out, "mmrl.safetensors"), {k: out[k].contiguous() for k in sorted(out)})
    with open(os.path.join(args.out, "mmrl.json"), "w") as f:
        json.dump({"trainer": "MMRL", "file": "trainers/mmrl.py", "dataset": DATASET, "task": "B2N", "lr": LR,
                   "settings": settings, "seed": SEED, "steps": 3, "batch": int(images.shape[1]),
                   "optimizer": "AdamW (weight decay 5e-4, betas 0.9/0.999, eps 1e-8)", "schedule": "none",
                   "precision": "fp32 (Tensor.half as identity)", "classnames": case["classnames"]}, f, indent=2)
        f.write("\n")
    print(f"mmrl: loss {out['loss'].item():.6f}, train losses {[round(x, 6) for x in out['train_losses'].tolist()]}")


if __name__ == "__main__":
    main()
