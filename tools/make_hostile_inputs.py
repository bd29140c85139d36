"""Writes the hostile inputs of issue 8 that concern images, data files and prompt files into a folder.

    python3 tools/make_hostile_inputs.py /tmp/hostile ../shared/fixtures

Each case is then run from the command line (see README, "Security and limits"); every one must end in seconds
with a one-line error naming the file. Only the Python standard library is used.
"""
import json
import os
import shutil
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_raw  # noqa: E402


def png(path, width, height, rows):
    """An 8-bit grayscale PNG whose IDAT is `rows` (bytes of filtered scanlines) compressed, streamed."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", rows))
        f.write(chunk(b"IEND", b""))


def bomb_rows(width, height):
    compressor = zlib.compressobj(9)
    row = bytes(width + 1)
    out = [compressor.compress(row) for _ in range(height)]
    out.append(compressor.flush())
    return b"".join(out)


def f32(*shape):
    n = 1
    for s in shape:
        n *= s
    return ("F32", list(shape), bytes(4 * n))


def main(out, fixtures):
    os.makedirs(out, exist_ok=True)
    images = os.path.join(fixtures, "preprocess", "images")

    # An image folder with two good classes, plus the same with a FIFO and a link to /dev/zero.
    for name, extra in [("data", None), ("data-fifo", "fifo"), ("data-zero", "zero")]:
        root = os.path.join(out, name)
        shutil.rmtree(root, ignore_errors=True)
        for cls, files in [("cat", ["chelsea.png", "chelsea_q75.jpg"]), ("rocket", ["rocket.jpg", "coffee.png"])]:
            os.makedirs(os.path.join(root, cls))
            for f in files:
                shutil.copy(os.path.join(images, f), os.path.join(root, cls, f))
        if extra == "fifo":
            os.mkfifo(os.path.join(root, "cat", "pipe.png"))
        elif extra == "zero":
            os.symlink("/dev/zero", os.path.join(root, "cat", "zero.png"))

    # A decompression bomb: 23000x23000 grayscale, about 514 KB.
    bomb = os.path.join(out, "data-bomb")
    shutil.rmtree(bomb, ignore_errors=True)
    shutil.copytree(os.path.join(out, "data"), bomb)
    png(os.path.join(bomb, "cat", "bomb.png"), 23000, 23000, bomb_rows(23000, 23000))

    # Split files: a huge label, a label beyond int, a fractional label.
    for name, label in [("split-huge-label.json", 50_000_000), ("split-1e10.json", 1e10), ("split-fraction.json", 1.5)]:
        split = {"train": [["cat/chelsea.png", 0, "cat"], ["rocket/rocket.jpg", label, "rocket"]],
                 "val": [], "test": [["cat/chelsea.png", 0, "cat"]]}
        with open(os.path.join(out, name), "w") as f:
            json.dump(split, f)

    # Prompt files for the tiny-maple fixture (text width 128, vision width 192, 3 layers each).
    base = {"format": "maple-prompts", "method": "ivlp", "n_ctx": "2", "n_ctx_vision": "2", "text_depth": "1",
            "vision_depth": "1", "ctx_init": "a photo of a", "classnames": json.dumps(["cat", "rocket"])}
    ivlp = {"prompt_learner.ctx": f32(2, 128), "image_encoder.VPT": f32(2, 192)}
    write_raw(os.path.join(out, "prompts-ok.safetensors"), ivlp, base)
    write_raw(os.path.join(out, "prompts-n-ctx-vision.safetensors"), ivlp, dict(base, n_ctx_vision="8000000"))
    write_raw(os.path.join(out, "prompts-classnames.safetensors"), ivlp, dict(base, classnames="cat, rocket"))
    write_raw(os.path.join(out, "prompts-0d-ctx.safetensors"), {"prompt_learner.ctx": f32(), "image_encoder.VPT": f32(2, 192)}, None)
    overflow = dict(ivlp)
    overflow["image_encoder.VPT"] = ("F32", [4611686018427387904, 4], bytes(0))
    write_raw(os.path.join(out, "prompts-overflow.safetensors"), overflow, base)
    write_raw(os.path.join(out, "init-overflow.safetensors"), {"prompt_learner.ctx": ("F32", [2**62, 2**2], bytes(0))}, None)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
