using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>Tensors already in memory (a TorchScript or torch.save state dict); owns and disposes them.</summary>
public sealed class DictionarySource : ITensorSource
{
    readonly Dictionary<string, Tensor> _tensors;

    /// <summary>Wraps <paramref name="tensors"/> read from <paramref name="path"/>.</summary>
    public DictionarySource(string path, Dictionary<string, Tensor> tensors)
    {
        Path = path;
        _tensors = tensors;
        Shapes = tensors.ToDictionary(t => t.Key, t => t.Value.shape);
    }

    /// <inheritdoc />
    public string Path { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <inheritdoc />
    public Tensor Read(string name) => _tensors[name].clone();

    /// <inheritdoc />
    public void ReadInto(string name, Tensor destination) => destination.copy_(_tensors[name].view(destination.shape));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in _tensors.Values)
            tensor.Dispose();
    }
}
