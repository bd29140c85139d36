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

    /// <summary>
    /// Writes one tensor into <paramref name="destination"/> (same element count, contiguous, any dtype and device),
    /// converting on the way: no intermediate copy of the whole tensor where the source can avoid one.
    /// </summary>
    void ReadInto(string name, Tensor destination)
    {
        using var value = Read(name);
        destination.copy_(value.view(destination.shape));
    }
}
