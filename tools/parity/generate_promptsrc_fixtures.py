#!/usr/bin/env python3
"""Reference values for Maple's PromptSRC parity tests, computed by the PromptSRC authors' own trainer.

    /usr/bin/python3 tools/parity/generate_promptsrc_fixtures.py PROMPTSRC_CHECKOUT [--shared DIR] [--out DIR]

PROMPTSRC_CHECKOUT is a checkout of github.com/muzairkhattak/PromptSRC (tested at bb95c77). Nothing of it is
copied here: this script imports its trainers/promptsrc.py and clip/ package from that path and runs them on the
shared tiny CLIP (../shared/fixtures/tiny-maple), with the same stand-ins for Dassl, CUDA and fp16 as
generate_method_fixtures.py (whose helpers it reuses): pure fp32 (Tensor.half is the identity, so the frozen
zero-shot encoder and the `.half()` of the frozen text features stay fp32), Tensor.cuda the identity, Dassl's SGD
(momentum 0.9, weight decay 5e-4) at a constant learning rate.

What runs is the authors' code: load_clip_to_cpu (the prompted IVLP model and the two frozen copies), VLPromptLearner
(ctx from CTX_INIT, the frozen text features averaged over the 60 IMAGENET_TEMPLATES), CustomCLIP.forward in eval mode
for the logits and in train mode for the losses, PromptSRC.build_model (parameters unfrozen, Gaussian weights) and
PromptSRC.forward_backward (the loss terms, the SGD step and GPA). Their config vit_b16_c2_ep20_batch4_4+4ctx.yaml
(N_CTX_TEXT 4, N_CTX_VISION 4, CTX_INIT "a photo of a", TEXT_LOSS_WEIGHT 25, IMAGE_LOSS_WEIGHT 10, LR 0.0025) is
scaled to the tiny model's 3 layers (PROMPT_DEPTH 9 -> 3). The loss terms are read by wrapping the functions the
trainer calls (torch.nn.functional's cross_entropy, l1_loss and kl_div), so they are the trainer's own values.

<out>/promptsrc.safetensors holds (F32 unless noted):
  token_ids I64 [classes, 77]        the prompts' tokens
  init.<name>                        learnable tensors before training (authors' state-dict names)
  frozen_text_features [classes, E]  the trainer's fixed_embeddings, normalised as its forward does
  frozen_image_features [4, E]       the zero-shot encoder's normalised features of batch 0
  logits [4, classes]                batch 0, initial parameters, eval mode
  loss_ce, loss_text, loss_image     batch 0, train mode: cross-entropy, the two L1 terms before their weights
  loss_logits                        kl_div(..., reduction="sum", log_target=True) / logits.numel()
  loss                               the total the trainer minimises on batch 0
  grad.<name>                        gradient of that total for every learnable tensor
  train_losses [3]                   the total of each of 3 steps (batches 0, 1, 2), no GPA
  final.<name>                       parameters after those 3 SGD steps
  gpa_weights F64 [3]                the trainer's normalised Gaussian weights over 3 epochs (GPA_MEAN 2, GPA_STD 1)
  gpa.epoch<k>.<name>                parameters at the end of epoch k (1..3) of a 3-epoch run of one step per epoch
  gpa.final.<name>                   parameters after that run: the Gaussian prompt aggregate

With --import-out DIR it also writes DIR/authors-promptsrc.pth.tar-3: that run's model saved as Dassl's
save_checkpoint saves it ({"state_dict", "epoch", "optimizer", "scheduler", "val_result"}), the state dict cut to
the learned prompts, the class buffers and a few frozen tensors of each part (the prompted encoders, the zero-shot
image encoder, logit_scale) so that the file stays small, for Maple's import tests.
"""

import argparse
import collections
import json
import os
import sys
import tempfile
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from generate_method_fixtures import enter_authors_code, namespace, openai_state_dict  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

SEED = 1
TINY_DEPTH = 3
GPA_EPOCHS, GPA_MEAN, GPA_STD = 3, 2, 1
SETTINGS = dict(N_CTX_VISION=4, N_CTX_TEXT=4, CTX_INIT="a photo of a", PREC="fp32",
                PROMPT_DEPTH_VISION=TINY_DEPTH, PROMPT_DEPTH_TEXT=TINY_DEPTH,
                TEXT_LOSS_WEIGHT=25, IMAGE_LOSS_WEIGHT=10, GPA_MEAN=15, GPA_STD=1)
LR = 0.0025


class RecordingFunctional:
    """torch.nn.functional as the trainer sees it, keeping what cross_entropy, l1_loss and kl_div return."""

    def __init__(self, functional):
        self._functional = functional
        self.calls = []

    def __getattr__(self, name):
        original = getattr(self._functional, name)
        if name not in ("cross_entropy", "l1_loss", "kl_div"):
            return original

        def recorded(*args, **kwargs):
            value = original(*args, **kwargs)
            self.calls.append((name, value.detach().clone()))
            return value
        return recorded


def build(trainer_module, model_file, classnames, max_epoch, num_batches, gpa_mean, gpa_std):
    cls = sys.modules["dassl.engine"].TRAINER_REGISTRY.classes["PromptSRC"]
    settings = dict(SETTINGS, GPA_MEAN=gpa_mean, GPA_STD=gpa_std)
    cfg = {
        "MODEL": {"BACKBONE": {"NAME": "ViT-B/16"}, "INIT_WEIGHTS": ""},
        "INPUT": {"SIZE": (224, 224)},
        "OPTIM": {"LR": LR, "MAX_EPOCH": max_epoch},
        "TRAINER": {"PROMPTSRC": settings},
    }
    trainer = cls.__new__(cls)
    trainer.cfg = namespace(cfg)
    trainer.dm = types.SimpleNamespace(dataset=types.SimpleNamespace(classnames=list(classnames)))
    trainer.device = torch.device("cpu")
    trainer.num_batches = num_batches
    sys.modules["clip.clip"]._download = lambda url, root=None: model_file
    torch.manual_seed(SEED)
    trainer.build_model()
    learnable = [(n, p) for n, p in trainer.model.named_parameters() if p.requires_grad]
    return trainer, learnable


def run(trainer_module, model_file, classnames, images, labels):
    out = {}
    trainer, learnable = build(trainer_module, model_file, classnames, max_epoch=20, num_batches=10 ** 9,
                               gpa_mean=SETTINGS["GPA_MEAN"], gpa_std=SETTINGS["GPA_STD"])
    model = trainer.model
    by_id = {id(p): n for n, p in learnable}
    assert by_id.keys() <= {id(p) for g in trainer.optim.param_groups for p in g["params"]}
    assert not any("ZS_image_encoder" in n for n, _ in learnable), "the frozen encoder must not learn"
    for n, p in learnable:
        out[f"init.{n}"] = p.detach().clone()
    out["token_ids"] = model.tokenized_prompts.long()
    fixed = model.prompt_learner.fixed_embeddings
    out["frozen_text_features"] = fixed / fixed.norm(dim=-1, keepdim=True)
    with torch.no_grad():
        zs = model.prompt_learner.ZS_image_encoder(images[0])
    out["frozen_image_features"] = zs / zs.norm(dim=-1, keepdim=True)

    trainer.set_model_mode("eval")
    with torch.no_grad():
        out["logits"] = model(images[0])

    functional = RecordingFunctional(trainer_module.F)
    trainer_module.F = functional
    trainer.set_model_mode("train")
    losses = []
    for step in range(3):
        functional.calls.clear()
        trainer.batch_idx = step
        losses.append(trainer.forward_backward({"img": images[step], "label": labels[step]})["loss"])
        if step == 0:
            names = [name for name, _ in functional.calls]
            assert names == ["cross_entropy", "l1_loss", "l1_loss", "kl_div"], names
            values = [value for _, value in functional.calls]
            out["loss_ce"], out["loss_text"], out["loss_image"] = values[0], values[1], values[2]
            out["loss_logits"] = values[3] / out["logits"].numel()
            out["loss"] = torch.tensor(losses[0], dtype=torch.float32)
    trainer_module.F = functional._functional
    out["train_losses"] = torch.tensor(losses, dtype=torch.float32)
    for pid, grad in trainer.optim.first_grads.items():
        if pid in by_id:
            out[f"grad.{by_id[pid]}"] = grad
    assert all(f"grad.{n}" in out for n, _ in learnable), "a learnable tensor got no gradient"
    for n, p in learnable:
        out[f"final.{n}"] = p.detach().clone()

    # GPA: a run of GPA_EPOCHS epochs of one step each (epoch k trains on batch k - 1).
    trainer, learnable = build(trainer_module, model_file, classnames, max_epoch=GPA_EPOCHS, num_batches=1,
                               gpa_mean=GPA_MEAN, gpa_std=GPA_STD)
    for n, p in learnable:
        assert torch.equal(p.detach(), out[f"init.{n}"]), f"{n}: the second build starts elsewhere"
    out["gpa_weights"] = torch.tensor(trainer.gauss, dtype=torch.float64)
    epoch_states = []
    weighting = trainer.state_dict_weighting

    def recording_weighting(main_dict, weightage, prompt_only=False):
        epoch_states.append({k: v.detach().clone() for k, v in main_dict.items()})
        return weighting(main_dict, weightage, prompt_only)

    trainer.state_dict_weighting = recording_weighting
    trainer.set_model_mode("train")
    for epoch in range(GPA_EPOCHS):
        trainer.batch_idx = 0
        trainer.forward_backward({"img": images[epoch], "label": labels[epoch]})
    assert len(epoch_states) == GPA_EPOCHS
    for k, state in enumerate(epoch_states, start=1):
        for n, _ in learnable:
            out[f"gpa.epoch{k}.{n}"] = state[n]
    for n, p in learnable:
        out[f"gpa.final.{n}"] = p.detach().clone()
    return out, trainer


FROZEN_SAMPLES = ("logit_scale", "image_encoder.ln_post.weight", "text_encoder.ln_final.weight",
                  "prompt_learner.ZS_image_encoder.class_embedding", "prompt_learner.ZS_image_encoder.ln_post.weight",
                  "prompt_learner.ZS_image_encoder.transformer.resblocks.0.ln_1.bias")


def save_dassl_checkpoint(trainer, path):
    learned = {n for n, p in trainer.model.named_parameters() if p.requires_grad}
    kept = learned | {"prompt_learner.token_prefix", "prompt_learner.token_suffix"} | set(FROZEN_SAMPLES)
    state_dict = collections.OrderedDict((k, v) for k, v in trainer.model.state_dict().items() if k in kept)
    assert kept == set(state_dict), kept ^ set(state_dict)
    torch.save({"state_dict": state_dict, "epoch": GPA_EPOCHS, "optimizer": trainer.optim.state_dict(),
                "scheduler": None, "val_result": None}, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("authors", help="checkout of muzairkhattak/PromptSRC")
    parser.add_argument("--shared", default=os.path.join(repo, "..", "shared", "fixtures", "tiny-maple"))
    parser.add_argument("--out", default=os.path.join(repo, "tests", "Maple.Tests", "TestData", "parity"))
    parser.add_argument("--import-out", default=os.path.join(repo, "tests", "Maple.Tests", "TestData", "import"))
    args = parser.parse_args()

    enter_authors_code(args.authors)

    with open(os.path.join(args.shared, "case.json")) as f:
        case = json.load(f)
    inputs = read_safetensors(os.path.join(args.shared, "inputs.safetensors"))
    hf = read_safetensors(os.path.join(args.shared, "model", "model.safetensors"))
    trainer_module = __import__("trainers.promptsrc", fromlist=["*"])
    with tempfile.TemporaryDirectory() as tmp:
        model_file = os.path.join(tmp, "tiny-openai.pt")
        torch.save(openai_state_dict(hf), model_file)
        out, trainer = run(trainer_module, model_file, case["classnames"], inputs["images"], inputs["labels"])
    if args.import_out:
        os.makedirs(args.import_out, exist_ok=True)
        save_dassl_checkpoint(trainer, os.path.join(args.import_out, f"authors-promptsrc.pth.tar-{GPA_EPOCHS}"))
    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "promptsrc.safetensors"), {k: out[k] for k in sorted(out)})
    print(f"promptsrc: loss {out['loss'].item():.6f} (ce {out['loss_ce'].item():.6f}, text {out['loss_text'].item():.6f}, "
          f"image {out['loss_image'].item():.6f}, logits {out['loss_logits'].item():.6f}), "
          f"train losses {[round(x, 6) for x in out['train_losses'].tolist()]}, GPA weights {out['gpa_weights'].tolist()}")


if __name__ == "__main__":
    main()
