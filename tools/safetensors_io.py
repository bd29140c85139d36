"""Reading and writing safetensors files without the safetensors package, for the scripts in tools/ and the tests'
test-data generators.

`write_raw` needs only the standard library and writes whatever it is given (the hostile-input script uses it for
shapes no tensor could have); `read_safetensors` and `write_safetensors` work on torch tensors of F32, F16 and I64.
Tensors are written in the order given.
"""
import collections
import json
import struct


def _torch_dtypes():
    import torch  # only the tensor functions need torch
    return {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "I64": torch.int64}


def write_raw(path, entries, metadata=None):
    """entries: name -> (dtype name, shape, raw bytes); metadata: a dict of strings, or None for none."""
    header = {"__metadata__": metadata} if metadata is not None else {}
    blobs, offset = [], 0
    for name, (dtype, shape, data) in entries.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    import torch
    dtypes = _torch_dtypes()
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = collections.OrderedDict()
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=dtypes[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors


def write_safetensors(path, tensors, metadata=None):
    names = {dtype: name for name, dtype in _torch_dtypes().items()}
    write_raw(path, collections.OrderedDict(
        (name, (names[t.dtype], list(t.shape), t.detach().contiguous().cpu().numpy().tobytes())) for name, t in tensors.items()
    ), metadata)
