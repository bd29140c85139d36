using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>Named tensors in a checkpoint, readable one at a time.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>The file the tensors come from, for messages.</summary>
    string Path { get; }

    /// <summary>Every tensor's shape, by name.</summary>
    IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <summary>Reads one tensor (a new CPU tensor the caller disposes).</summary>
    Tensor Read(string name);
}
