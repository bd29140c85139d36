using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// Reads files written by PyTorch's <c>torch.save</c> (<c>.pth</c>, <c>.pt</c>, <c>.bin</c>, Dassl's
/// <c>model.pth.tar-N</c>) without Python and without running anything the file names: the pickle inside
/// is interpreted by a virtual machine that only builds tensors and plain containers, and refuses every
/// other global with an <see cref="UnsafePickleException"/>. Both the zip layout (PyTorch 1.6+) and the
/// older legacy layout are read.
/// </summary>
/// <remarks>
/// Python values come out as .NET values: dict, OrderedDict, defaultdict and Counter as
/// <see cref="OrderedDictionary{TKey, TValue}"/> of <c>object</c> to <c>object?</c> in insertion order
/// (keys compare as in Python, so <c>dict["epoch"]</c> and <c>dict[0L]</c> work); list as
/// <see cref="List{T}"/> of <c>object?</c>; tuple and torch.Size as <c>object?[]</c>; set and frozenset as
/// <see cref="HashSet{T}"/> of <c>object</c>; int as <see cref="long"/> (<see cref="System.Numerics.BigInteger"/>
/// beyond 64 bits); float as <see cref="double"/>; str as <see cref="string"/>; bytes and bytearray as
/// <c>byte[]</c>; bool; None as null; numpy scalars as long, double or bool; torch.device as its string ("cpu", "cuda:0"); tensors and parameters as
/// contiguous CPU <see cref="Tensor"/>s of the saved dtype, without autograd; allow-listed optimizer and
/// scheduler objects as <see cref="PickledObject"/>. The caller owns (and should dispose) the tensors.
/// A tensor that is exactly its whole storage shares that memory with other such views of it, as in
/// PyTorch; any other view (a slice, a transpose) is copied out, except a view with more elements than its
/// storage (zero or overlapping strides, as <c>expand</c> makes): it stays a non-contiguous view of its
/// storage, because its copy could be far larger than the file. <see cref="LoadStateDict(string)"/> refuses
/// such views. What reading may allocate is bounded by <see cref="CheckpointLimits"/>.
/// </remarks>
public static class TorchCheckpointReader
{
    /// <summary>Loads the whole object graph that <c>torch.save</c> wrote to <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">What reading it may allocate; <see cref="CheckpointLimits.Default"/> when null.</param>
    /// <exception cref="UnsafePickleException">The pickle names a global or uses an opcode outside the allow-list.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable torch.save file, or exceeds a limit (the message names it).</exception>
    public static object? Load(string path, CheckpointLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = TorchCheckpointFile.Open(path, limits ?? CheckpointLimits.Default);
        return Materialize(file, file.Unpickle(), out _);
    }

    /// <summary>
    /// Loads a state dict: the file's top-level dict when all its values are tensors, or else the
    /// <c>"state_dict"</c> entry of a checkpoint dict (as Dassl and many trainers save it, next to
    /// <c>epoch</c>, <c>optimizer</c> and <c>scheduler</c> entries, which are parsed and dropped).
    /// </summary>
    /// <returns>The tensors by parameter name, in the order they were saved. The caller owns them.</returns>
    /// <exception cref="UnsafePickleException">The pickle names a global or uses an opcode outside the allow-list.</exception>
    /// <exception cref="InvalidDataException">The file is unreadable, exceeds a limit or holds no state dict.</exception>
    public static OrderedDictionary<string, Tensor> LoadStateDict(string path) => LoadStateDict(path, out _);

    /// <summary>
    /// Loads a state dict as <see cref="LoadStateDict(string)"/> does, and also returns the checkpoint dict's
    /// other top-level entries whose values are plain scalars (Dassl's <c>epoch</c>, a <c>best_acc</c>, a
    /// <c>val_result</c> of None): string keys to <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>,
    /// <see cref="string"/> or null. Empty when the file is a bare state dict.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="entries">The checkpoint dict's scalar entries.</param>
    /// <param name="limits">What reading it may allocate; <see cref="CheckpointLimits.Default"/> when null.</param>
    /// <exception cref="UnsafePickleException">The pickle names a global or uses an opcode outside the allow-list.</exception>
    /// <exception cref="InvalidDataException">The file is unreadable, exceeds a limit or holds no state dict.</exception>
    public static OrderedDictionary<string, Tensor> LoadStateDict(string path, out IReadOnlyDictionary<string, object?> entries,
        CheckpointLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = TorchCheckpointFile.Open(path, limits ?? CheckpointLimits.Default);
        var root = Materialize(file, file.Unpickle(), out var expanded);
        IReadOnlyDictionary<string, object?> scalars = new Dictionary<string, object?>();
        var result = ToStateDict(root, path, expanded, stateDict => scalars = ScalarEntries(root, stateDict));
        entries = scalars;
        return result;
    }

    /// <summary>Replaces the pending tensors under <paramref name="root"/> with tensors read from <paramref name="file"/>.</summary>
    internal static object? Materialize(TorchCheckpointFile file, object? root, out IReadOnlySet<Tensor> expandedViews)
    {
        using var materializer = new TensorMaterializer(file, file.Path, file.Limits.TensorBudget(file.Length));
        try
        {
            var resolved = materializer.Resolve(root);
            expandedViews = materializer.ExpandedViews;
            return resolved;
        }
        catch
        {
            foreach (var tensor in materializer.Tensors)
                tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The state dict of a materialised graph (shown to <paramref name="inspect"/> first), as named tensors the caller
    /// owns; every other tensor of the graph is disposed. Views with more elements than their storage are refused:
    /// a parameter is never one, and copying it could take far more memory than the file.
    /// </summary>
    internal static OrderedDictionary<string, Tensor> ToStateDict(object? root, string path, IReadOnlySet<Tensor> expandedViews,
        Action<OrderedDictionary<object, object?>>? inspect = null)
    {
        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var stateDict = FindStateDict(root, path);
            inspect?.Invoke(stateDict);
            var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            foreach (var (key, value) in stateDict)
            {
                if (key is not string name)
                    throw new InvalidDataException($"{path}: its state dict has a key that is not a string ({key})");
                if (value is not Tensor tensor)
                    throw new InvalidDataException($"{path}: state dict entry '{name}' is {TorchGlobals.Describe(value)}, not a tensor");
                if (expandedViews.Contains(tensor))
                    throw new InvalidDataException(
                        $"{path}: state dict entry '{name}' of size [{string.Join(", ", tensor.shape)}] is a view with more elements " +
                        "than its storage (zero or overlapping strides, as expand() makes); save it with .contiguous() or .clone()");
                // One tensor saved under two names gets a handle per name, so each can be disposed on its own.
                result.Add(name, seen.Add(tensor) ? tensor : tensor.view(tensor.shape));
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            DisposeTensors(root, keep: null);
            throw;
        }
        DisposeTensors(root, keep: new HashSet<Tensor>(result.Values, ReferenceEqualityComparer.Instance));
        return result;
    }

    static OrderedDictionary<string, object?> ScalarEntries(object? root, OrderedDictionary<object, object?> stateDict)
    {
        var entries = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        if (ReferenceEquals(root, stateDict) || root is not OrderedDictionary<object, object?> checkpoint)
            return entries;
        foreach (var (key, value) in checkpoint)
        {
            if (key is string name && value is null or long or double or bool or string)
                entries.Add(name, value);
        }
        return entries;
    }

    static OrderedDictionary<object, object?> FindStateDict(object? root, string path)
    {
        if (root is not OrderedDictionary<object, object?> dict)
            throw new InvalidDataException($"{path} holds {TorchGlobals.Describe(root)}, not a state dict or a checkpoint dict");
        if (dict.Values.All(v => v is Tensor))
            return dict;
        if (dict.TryGetValue("state_dict", out var inner) && inner is OrderedDictionary<object, object?> stateDict)
            return stateDict;
        var keys = string.Join(", ", dict.Keys.Take(10).Select(k => k is string s ? $"'{s}'" : k.ToString()));
        throw new InvalidDataException(
            $"{path} holds neither a state dict (a dict of tensors) nor a checkpoint dict with a 'state_dict' entry; its keys are {keys}");
    }

    // Tensors the caller will not receive (optimizer buffers and the like) are released now rather than by the GC.
    static void DisposeTensors(object? root, HashSet<Tensor>? keep)
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            if (value is null or string or byte[] || value.GetType().IsValueType || !visited.Add(value))
                continue;
            switch (value)
            {
                case Tensor tensor when keep is null || !keep.Contains(tensor):
                    tensor.Dispose();
                    break;
                case OrderedDictionary<object, object?> dict:
                    foreach (var (key, item) in dict)
                    {
                        pending.Push(key);
                        pending.Push(item);
                    }
                    break;
                case IEnumerable<object?> items:
                    foreach (var item in items)
                        pending.Push(item);
                    break;
                case PickledObject obj:
                    pending.Push(obj.State);
                    foreach (var argument in obj.Arguments)
                        pending.Push(argument);
                    break;
            }
        }
    }
}
