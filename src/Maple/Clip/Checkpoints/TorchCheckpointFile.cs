using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>One of the file layouts torch.save writes: the pickle, and where its storages' bytes are.</summary>
abstract class TorchCheckpointFile : ITorchStorageSource, IDisposable
{
    protected TorchCheckpointFile(string path, CheckpointLimits limits)
    {
        Path = path;
        Limits = limits;
    }

    /// <summary>The file, for messages.</summary>
    public string Path { get; }

    /// <summary>What reading the file may allocate.</summary>
    public CheckpointLimits Limits { get; }

    /// <summary>The file's length in bytes, which bounds what reading it may allocate.</summary>
    public abstract long Length { get; }

    /// <summary>Opens the file in the layout its first bytes announce.</summary>
    public static TorchCheckpointFile Open(string path, CheckpointLimits limits)
    {
        var head = new byte[4];
        int read;
        using (var probe = File.OpenRead(path))
            read = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        // PyTorch 1.6+ writes a zip archive; older versions (and _use_new_zipfile_serialization=False)
        // write a sequence of pickles followed by the raw storages.
        if (read >= 2 && head[0] == (byte)'P' && head[1] == (byte)'K')
            return new TorchZipFile(path, limits);
        if (read >= 1 && head[0] == 0x80)
            return new TorchLegacyFile(path, limits);
        throw new InvalidDataException(
            $"{path} is not a PyTorch file (torch.save or torch.jit.save): it is neither a zip archive nor a pickle{(read == 0 ? " (the file is empty)" : "")}");
    }

    /// <summary>Runs the checkpoint's main pickle; tensors in the result are still <see cref="PendingTensor"/>s.</summary>
    public abstract object? Unpickle();

    /// <inheritdoc/>
    public abstract Tensor Read(TorchStorageRef storage, ScalarType dtype);

    /// <inheritdoc/>
    public abstract void Dispose();

    /// <summary>
    /// The storage a persistent id names: ('storage', storage class, key, location, numel) in zip files, with a
    /// sixth view entry in legacy files. The same key always yields the same storage.
    /// </summary>
    protected TorchStorageRef StorageFromPersistentId(object? pid, Dictionary<string, TorchStorageRef> storages, bool legacy)
    {
        if (pid is not object?[] { Length: >= 5 } fields || fields[0] is not string kind)
            throw new InvalidDataException($"a persistent id that is not a storage reference ({TorchGlobals.Describe(pid)})");
        if (kind != "storage")
            throw new InvalidDataException($"a persistent id of kind '{kind}': only tensor storages are supported (save a state_dict rather than a module)");
        if (fields.Length != (legacy ? 6 : 5))
            throw new InvalidDataException($"a storage reference with {fields.Length} fields");
        if (fields[1] is not PickleGlobal { Kind: PickleGlobalKind.StorageClass } storageClass)
            throw new InvalidDataException($"a storage reference whose type is {TorchGlobals.Describe(fields[1])}, not a storage class");
        var key = fields[2] switch
        {
            string text => text,
            long number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            var other => throw new InvalidDataException($"a storage key that is a {TorchGlobals.Describe(other)}"),
        };
        if (fields[3] is not string location)
            throw new InvalidDataException($"storage '{key}' has no device location");
        if (fields[4] is not long numel || numel < 0)
            throw new InvalidDataException($"storage '{key}' has no valid length");
        if (legacy && fields[5] is not null)
            throw new InvalidDataException($"storage '{key}' is a storage view, which only PyTorch before 0.4 wrote");

        if (storages.TryGetValue(key, out var known))
        {
            if (known.Dtype != storageClass.Dtype || known.Numel != numel)
                throw new InvalidDataException($"storage '{key}' is referenced with two different types or lengths");
            return known;
        }
        var storage = new TorchStorageRef(key, storageClass.Dtype, numel, location);
        _ = storage.ByteCount; // throws on a length too large to address
        storages[key] = storage;
        return storage;
    }
}
