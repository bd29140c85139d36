namespace Maple.Clip.Checkpoints;

/// <summary>
/// An inert record of a Python object of an allow-listed class that is neither a tensor nor a plain
/// container: the optimizer and learning-rate scheduler objects that Dassl-style checkpoints pickle
/// inside their scheduler state (a warm-up scheduler keeps its successor scheduler, and with it the
/// optimizer, as an attribute), and the <c>__torch__.*</c> modules of a TorchScript archive. The class is
/// never instantiated and none of its code runs; its pickled state is kept as data.
/// </summary>
public sealed class PickledObject
{
    internal PickledObject(string typeName, object?[] arguments)
    {
        TypeName = typeName;
        Arguments = arguments;
    }

    /// <summary>The Python class as <c>module.name</c>, for example <c>torch.optim.lr_scheduler.CosineAnnealingLR</c>.</summary>
    public string TypeName { get; }

    /// <summary>The arguments the pickle passed to the class's <c>__new__</c> (usually none).</summary>
    public object?[] Arguments { get; }

    /// <summary>
    /// The state the pickle set on the object (Python's <c>__dict__</c> or <c>__getstate__</c> result),
    /// usually an <see cref="OrderedDictionary{TKey, TValue}"/> of attribute names to values; null when none was set.
    /// </summary>
    public object? State { get; internal set; }

    /// <summary>Names the class, for debugging.</summary>
    public override string ToString() => $"<{TypeName} object>";
}
