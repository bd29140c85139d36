using static TorchSharp.torch;

namespace Maple.Clip;

/// <summary>
/// The prompt tokens an encoder inserts, per layer: entry 0 at the input, entry k ≥ 1 replacing the
/// prompt rows before block k. Entries past the list (or null) insert nothing, so the tokens that the
/// previous block produced flow on. Every entry has the same token count; each is [n, width] (shared
/// by the batch) or [batch, n, width].
/// </summary>
/// <remarks>This is all an encoder knows of a prompting method: methods only produce these tokens.</remarks>
public sealed class LayerPrompts
{
    readonly Tensor?[] _layers;

    /// <summary>Creates prompts from per-layer tokens; index 0 is the input.</summary>
    public LayerPrompts(IReadOnlyList<Tensor?> layers)
    {
        if (layers.Count == 0 || layers[0] is null)
            throw new ArgumentException("prompts need tokens at layer 0 (the input)", nameof(layers));
        var count = layers[0]!.shape[^2];
        if (layers.Any(t => t is not null && t.shape[^2] != count))
            throw new ArgumentException($"every layer's prompts must have the same token count ({count})", nameof(layers));
        _layers = layers.ToArray();
    }

    /// <summary>Number of prompt tokens.</summary>
    public long TokenCount => _layers[0]!.shape[^2];

    /// <summary>Number of layers that receive new tokens (the prompt depth J).</summary>
    public int Depth => _layers.Length;

    /// <summary>The tokens for layer <paramref name="layer"/>, or null when that layer keeps what flows in.</summary>
    public Tensor? At(int layer) => layer < _layers.Length ? _layers[layer] : null;

    /// <summary>The input tokens.</summary>
    public Tensor Input => _layers[0]!;

    /// <summary>The prompts of some rows of the batch: per-row tokens [batch, n, width] are selected, shared ones kept.</summary>
    internal LayerPrompts SelectRows(Tensor rows) =>
        new(_layers.Select(t => t is { } tokens && tokens.dim() == 3 ? tokens.index_select(0, rows) : t).ToList());
}
