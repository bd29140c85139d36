using System.Buffers.Binary;
using System.Numerics;
using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// The layout torch.save wrote before PyTorch 1.6 (and still writes with
/// <c>_use_new_zipfile_serialization=False</c>): pickles of a magic number, the format version and the
/// writer's byte order, then the main pickle, then a pickle listing the storage keys, then each storage as
/// an 8-byte element count followed by its raw bytes, in that order.
/// </summary>
sealed class TorchLegacyFile : TorchCheckpointFile
{
    static readonly BigInteger Magic = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);
    const long FormatVersion = 1001;

    readonly FileStream stream;
    readonly Dictionary<string, TorchStorageRef> storages = new(StringComparer.Ordinal);
    readonly Dictionary<string, Tensor> storageTensors = new(StringComparer.Ordinal);

    public TorchLegacyFile(string path, CheckpointLimits limits)
        : base(path, limits) => stream = File.OpenRead(path);

    public override long Length => stream.Length;

    public override object? Unpickle()
    {
        if (UnpickleHeader() is not BigInteger magic || magic != Magic)
            throw new InvalidDataException($"{Path} starts with a pickle but not with torch.save's magic number");
        if (UnpickleHeader() is not FormatVersion)
            throw new InvalidDataException($"{Path} is a legacy torch.save file of an unknown format version");
        var bigEndian = UnpickleHeader() is OrderedDictionary<object, object?> sysInfo
            && sysInfo.TryGetValue("little_endian", out var little) && little is false;

        var root = new Unpickler(stream, Path, pid => StorageFromPersistentId(pid, storages, legacy: true), Limits).Load();

        if (UnpickleHeader() is not List<object?> keys)
            throw new InvalidDataException($"{Path} has no list of storage keys after its pickle");
        foreach (var key in keys)
            ReadStorage(key as string ?? throw new InvalidDataException($"{Path} lists a storage key that is not a string"), bigEndian);
        return root;
    }

    // The storages follow the pickles in the order of the key list; all are read now so none is needed twice.
    void ReadStorage(string key, bool bigEndian)
    {
        if (!storages.TryGetValue(key, out var storage))
            throw new InvalidDataException($"{Path} stores storage '{key}', which its pickle never uses");
        if (storageTensors.ContainsKey(key))
            throw new InvalidDataException($"{Path} stores storage '{key}' twice");
        var countBytes = new byte[8];
        try
        {
            stream.ReadExactly(countBytes);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{Path} ends before storage '{key}'", ex);
        }
        var numel = bigEndian ? BinaryPrimitives.ReadInt64BigEndian(countBytes) : BinaryPrimitives.ReadInt64LittleEndian(countBytes);
        if (numel != storage.Numel)
            throw new InvalidDataException($"{Path}: storage '{key}' holds {numel} elements, but its pickle says {storage.Numel}");
        if (storage.ByteCount > stream.Length - stream.Position)
            throw new InvalidDataException($"{Path} ends before the {storage.ByteCount} bytes of storage '{key}'");
        storageTensors[key] = StorageReader.Read(stream, storage.ByteCount, storage.Dtype, bigEndian, $"storage '{key}' in {Path}");
    }

    public override Tensor Read(TorchStorageRef storage, ScalarType dtype)
    {
        if (dtype != storage.Dtype)
            throw new InvalidDataException($"{Path}: storage '{storage.Key}' is used with a dtype other than its own");
        if (!storageTensors.Remove(storage.Key, out var tensor))
            throw new InvalidDataException($"{Path} does not store storage '{storage.Key}' that its pickle uses");
        return tensor; // the caller owns it now
    }

    public override void Dispose()
    {
        foreach (var tensor in storageTensors.Values)
            tensor.Dispose();
        storageTensors.Clear();
        stream.Dispose();
    }

    object? UnpickleHeader() =>
        new Unpickler(stream, Path, _ => throw new InvalidDataException($"{Path} has a persistent id outside its main pickle"), Limits).Load();
}
