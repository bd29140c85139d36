"""Regenerates the Pillow 9.4 reference data in this folder (not needed to run the tests).

Run with Pillow 9.4 and numpy (Debian bookworm's python3-pil / python3-numpy):
    python3 make_pillow_cases.py
Writes:
  decode/*          small synthetic images in many formats and modes
  decode.safetensors   U8 [H, W, 3] per file: Image.open(p).convert("RGB")
  resize.safetensors   per case "<name>.in" and "<name>.out" U8 [H, W, 3]: Image.resize(size, BICUBIC, box)
  resize.json          per case: output size and box
"""
import json, os, struct
import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240501)


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr, dtype=np.uint8).tobytes()
        header[name] = {"dtype": "U8", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def synthetic(w, h):
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(w + h - 2, 1)], -1)
    noise = rng.integers(-40, 41, size=(h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


# Decoding: one small image in each format and mode.
os.makedirs(os.path.join(here, "decode"), exist_ok=True)
img = Image.fromarray(synthetic(37, 23), "RGB")
alpha = Image.fromarray(rng.integers(0, 256, size=(23, 37), dtype=np.uint8))
alpha_arr = np.asarray(alpha).copy()
alpha_arr[:5] = 0  # fully transparent rows whose colour must survive
rgba = img.copy()
rgba.putalpha(Image.fromarray(alpha_arr))
la = img.convert("L")
la.putalpha(alpha)
pal = img.quantize(32)


def png16_rgb(path, arr):
    import zlib
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[r].astype(">u2").tobytes() for r in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def png16_gray(path, arr, interlace):
    """16-bit grayscale PNG, rows filtered with types 0..4 in turn, optionally Adam7-interlaced."""
    import zlib

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    def paeth(a, b, c):
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

    def filtered(row, prev, ft):
        out = bytearray()
        for i in range(len(row)):
            a = row[i - 2] if i >= 2 else 0
            b = prev[i]
            c = prev[i - 2] if i >= 2 else 0
            out.append((row[i] - [0, a, b, (a + b) >> 1, paeth(a, b, c)][ft]) & 255)
        return bytes([ft]) + bytes(out)

    h, w = arr.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] if interlace else [(0, 0, 1, 1)]
    raw, k = b"", 0
    for x0, y0, dx, dy in passes:
        sub = arr[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        prev = bytes(sub.shape[1] * 2)
        for r in sub:
            rb = r.astype(">u2").tobytes()
            raw += filtered(rb, prev, k % 5)
            prev, k = rb, k + 1
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 0, 0, 0, interlace))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def gif_on_larger_canvas(src, dst):
    b = bytearray(open(src, "rb").read())
    w, h = struct.unpack("<HH", b[6:10])
    b[6:10] = struct.pack("<HH", w + 6, h + 4)
    pos = 13 + ((3 << ((b[10] & 7) + 1)) if b[10] & 0x80 else 0)
    while b[pos] == 0x21:
        pos += 2
        while b[pos]:
            pos += b[pos] + 1
        pos += 1
    b[pos + 1:pos + 5] = struct.pack("<HH", 2, 1)
    open(dst, "wb").write(b)


d = lambda n: os.path.join(here, "decode", n)
img.save(d("rgb_420.jpg"), quality=85)
img.save(d("rgb_444.jpg"), quality=85, subsampling=0)
img.save(d("rgb_progressive.jpg"), quality=85, progressive=True)
img.convert("L").save(d("gray.jpg"), quality=85)
img.convert("CMYK").save(d("cmyk.jpg"), quality=85)
rgba.save(d("rgba.png"))
la.save(d("la.png"))
pal.save(d("palette_trns.png"), transparency=3)
img.quantize(16).save(d("palette_4bit.png"), bits=4)
png16_rgb(d("rgb16.png"), rng.integers(0, 65536, size=(23, 37, 3)))
img.save(d("rgb.bmp"))
pal.save(d("palette.bmp"))
pal.save(d("transparent.gif"), transparency=3)
gif_on_larger_canvas(d("transparent.gif"), d("transparent_canvas.gif"))
img.save(d("lossy.webp"), quality=80)
# Pillow opens 16-bit grayscale as mode I and clips to 0..255 on convert("RGB"): keep most samples small.
Image.fromarray(rng.integers(0, 600, size=(23, 37)).astype(np.uint16)).save(d("gray16.png"))
png16_gray(d("gray16_interlaced.png"), rng.integers(0, 600, size=(23, 37)), 1)
rgba.save(d("rgba_lossless.webp"), lossless=True)

decoded = {}
for name in sorted(os.listdir(os.path.join(here, "decode"))):
    decoded[name] = np.asarray(Image.open(d(name)).convert("RGB"))
save_safetensors(os.path.join(here, "decode.safetensors"), decoded)

# Resizing: shapes, directions and boxes beyond what the CLIP transform uses.
cases, tensors = {}, {}
n = 0
for (w, h) in [(1, 1), (2, 9), (17, 11), (61, 40)]:
    arr = synthetic(w, h)
    for size, box in [((5, 3), None), ((w * 3 + 1, max(1, h // 2)), None), ((max(1, w // 4), h * 2 + 1), None),
                      ((31, 29), None), ((9, 7), (0.5, 0.25, w - 0.3, h)), ((23, 19), (w / 4, h / 5, w * 0.9, h * 0.77))]:
        if box is not None and (box[2] <= box[0] or box[3] <= box[1]):
            continue
        name = f"case{n}"
        n += 1
        out = Image.fromarray(arr, "RGB").resize(size, Image.BICUBIC, box=box)
        tensors[name + ".in"] = arr
        tensors[name + ".out"] = np.asarray(out)
        cases[name] = {"width": size[0], "height": size[1], "box": list(box) if box else None}
save_safetensors(os.path.join(here, "resize.safetensors"), tensors)
json.dump(cases, open(os.path.join(here, "resize.json"), "w"), indent=1)
print(len(decoded), "decode files,", len(cases), "resize cases")
