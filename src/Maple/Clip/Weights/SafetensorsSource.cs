using Maple.Clip.Safetensors;
using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>Tensors of a memory-mapped safetensors file.</summary>
public sealed class SafetensorsSource : ITensorSource
{
    readonly SafetensorsFile _file;

    /// <summary>Opens <paramref name="path"/>.</summary>
    public SafetensorsSource(string path)
    {
        _file = SafetensorsFile.Open(path);
        Shapes = _file.Entries.ToDictionary(e => e.Key, e => e.Value.Shape);
    }

    /// <inheritdoc />
    public string Path => _file.Path;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <inheritdoc />
    public Tensor Read(string name) => _file.Read(name);

    /// <inheritdoc />
    public void ReadInto(string name, Tensor destination) => _file.ReadInto(name, destination);

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
