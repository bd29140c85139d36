using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// Replaces the <see cref="PendingTensor"/>s in an unpickled object graph with tensors, reading each
/// storage once. Every view is checked against its storage before the storage is read, so a hostile file
/// cannot make <c>as_strided</c> read outside the storage's memory, and the bytes of the storages read and of
/// the views copied out of them are counted against <paramref name="budget"/> before they are allocated.
/// </summary>
/// <remarks>
/// A view with more elements than its storage (zero strides, as <c>expand</c> makes, or overlapping ones) is
/// never copied: its copy could be far larger than the file (a 1 KB file can declare a [100000, 10000] view of
/// one float). It stays a strided view of its storage, and is listed in <see cref="ExpandedViews"/> so that
/// readers of state dicts can refuse it.
/// </remarks>
sealed class TensorMaterializer(ITorchStorageSource storages, string source, long budget) : IDisposable
{
    readonly Dictionary<(TorchStorageRef, ScalarType), Tensor> storageTensors = [];
    readonly Dictionary<PendingTensor, Tensor> built = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<object> visited = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<Tensor> expandedViews = new(ReferenceEqualityComparer.Instance);
    long allocated;

    /// <summary>The tensors made so far, to dispose if loading fails.</summary>
    public IEnumerable<Tensor> Tensors => built.Values;

    /// <summary>The tensors that are views with more elements than their storage (see the remarks).</summary>
    public IReadOnlySet<Tensor> ExpandedViews => expandedViews;

    /// <summary>Resolves the graph under <paramref name="root"/> in place (containers are reused) and returns the new root.</summary>
    public object? Resolve(object? root) => Resolve(root, 0);

    /// <summary>Disposes the whole-storage tensors; the tensors handed out keep their own references to the memory.</summary>
    public void Dispose()
    {
        foreach (var tensor in storageTensors.Values)
            tensor.Dispose();
        storageTensors.Clear();
    }

    object? Resolve(object? value, int depth)
    {
        if (depth > CheckpointLimits.MaxNestingDepth)
            throw new InvalidDataException($"{source} nests containers deeper than {CheckpointLimits.MaxNestingDepth} levels");
        switch (value)
        {
            case PendingTensor pending:
                if (!built.TryGetValue(pending, out var tensor))
                    built[pending] = tensor = Build(pending);
                return tensor;
            case TorchStorageRef storage:
                // A storage pickled on its own (not inside a tensor) comes out as a 1-D tensor of it.
                return Resolve(new PendingTensor(storage, 0, [storage.Numel], [1], storage.Dtype), depth);
            case PickleGlobal global:
                return global.FullName;
            case NumpyDtype dtype:
                return dtype.Code;
            case null or string or long or double or bool or BigInteger or byte[]:
                return value;
        }
        if (!visited.Add(value))
            return value;
        switch (value)
        {
            case List<object?> list:
                for (var i = 0; i < list.Count; i++)
                    list[i] = Resolve(list[i], depth + 1);
                break;
            case object?[] tuple:
                for (var i = 0; i < tuple.Length; i++)
                    tuple[i] = Resolve(tuple[i], depth + 1);
                break;
            case OrderedDictionary<object, object?> dict:
                // Keys can be tensors too (an optimizer's per-parameter state): re-add every entry in order.
                var entries = dict.ToArray();
                dict.Clear();
                foreach (var (key, item) in entries)
                    dict[TorchGlobals.Key(Resolve(key, depth + 1))] = Resolve(item, depth + 1);
                break;
            case HashSet<object> set:
                var members = set.ToArray();
                set.Clear();
                foreach (var member in members)
                    set.Add(TorchGlobals.Key(Resolve(member, depth + 1)));
                break;
            case PickledObject obj:
                for (var i = 0; i < obj.Arguments.Length; i++)
                    obj.Arguments[i] = Resolve(obj.Arguments[i], depth + 1);
                obj.State = Resolve(obj.State, depth + 1);
                break;
        }
        return value;
    }

    Tensor Build(PendingTensor pending)
    {
        var (size, stride, offset) = (pending.Size, pending.Stride, pending.Offset);
        var what = $"tensor of size [{string.Join(", ", size)}] on storage '{pending.Storage.Key}' in {source}";
        if (size.Length != stride.Length || size.Length > 64)
            throw new InvalidDataException($"{what} has {stride.Length} strides for {size.Length} dimensions");
        if (offset < 0 || size.Any(d => d < 0) || stride.Any(s => s < 0))
            throw new InvalidDataException($"{what} has a negative offset, size or stride");

        long numel = 1, last = offset;
        try
        {
            foreach (var (dim, step) in size.Zip(stride))
            {
                numel = checked(numel * dim);
                if (dim > 0)
                    last = checked(last + (dim - 1) * step);
            }
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{what} has a view too large to address");
        }
        if (numel == 0)
            return torch.empty(size, pending.Dtype);

        var elementSize = TorchDtypes.ElementSize(pending.Dtype);
        var storageNumel = pending.Storage.ByteCount / elementSize;
        if (last >= storageNumel)
            throw new InvalidDataException($"{what} (offset {offset}, strides [{string.Join(", ", stride)}]) reaches element {last} of a storage of {storageNumel}");

        var storage = StorageTensor(pending.Storage, pending.Dtype);
        // A tensor that is its whole storage shares it, as tied weights do in PyTorch; any other view gets
        // its own contiguous copy so that a small slice does not keep a large storage alive. A view with more
        // elements than its storage is left a view (see the remarks).
        if (offset == 0 && numel == storageNumel && IsContiguous(size, stride))
            return storage.view(size);
        if (numel > storageNumel)
        {
            var expanded = storage.as_strided(size, stride, offset);
            expandedViews.Add(expanded);
            return expanded;
        }
        Charge(numel * elementSize, $"a view of size [{string.Join(", ", size)}] on storage '{pending.Storage.Key}'");
        using var view = storage.as_strided(size, stride, offset);
        return view.is_contiguous() ? view.clone() : view.contiguous();
    }

    void Charge(long bytes, string what)
    {
        allocated += bytes;
        if (allocated > budget)
            throw new InvalidDataException(
                $"{source}: reading its tensors needs more than {budget >> 20} MiB (at {what}), more than a file of its size " +
                "can hold; " + CheckpointLimits.RaiseHint(nameof(CheckpointLimits.TensorBytesPerFileByte)));
    }

    Tensor StorageTensor(TorchStorageRef storage, ScalarType dtype)
    {
        if (!storageTensors.TryGetValue((storage, dtype), out var tensor))
        {
            Charge(storage.ByteCount, $"storage '{storage.Key}'");
            storageTensors[(storage, dtype)] = tensor = storages.Read(storage, dtype);
        }
        return tensor;
    }

    static bool IsContiguous(long[] size, long[] stride)
    {
        long expected = 1;
        for (var i = size.Length - 1; i >= 0; i--)
        {
            if (size[i] != 1 && stride[i] != expected)
                return false;
            expected *= size[i];
        }
        return true;
    }
}
