using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// A storage named by a persistent id in the pickle: its key in the file, its element type and length.
/// Its bytes are read only when a tensor that uses it is built.
/// </summary>
sealed class TorchStorageRef(string key, ScalarType dtype, long numel, string location)
{
    public string Key { get; } = key;

    public ScalarType Dtype { get; } = dtype;

    public long Numel { get; } = numel;

    public string Location { get; } = location;

    public long ByteCount => checked(Numel * TorchDtypes.ElementSize(Dtype));
}

/// <summary>
/// A tensor as the pickle describes it (a view into a storage), before its storage is read.
/// The object graph is built from these first so that nothing is allocated for a pickle that is refused,
/// and because the legacy format writes the storages after the pickle.
/// </summary>
sealed class PendingTensor(TorchStorageRef storage, long offset, long[] size, long[] stride, ScalarType dtype)
{
    public TorchStorageRef Storage { get; } = storage;

    public long Offset { get; } = offset;

    public long[] Size { get; } = size;

    public long[] Stride { get; } = stride;

    public ScalarType Dtype { get; } = dtype;
}
