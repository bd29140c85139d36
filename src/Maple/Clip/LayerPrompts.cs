using static TorchSharp.torch;

namespace Maple.Clip;

/// <summary>
/// The prompt tokens an encoder inserts, per layer: entry 0 at the input, entry k ≥ 1 replacing the
/// prompt rows before block k. Entries past the list (or null) insert nothing, so the tokens that the
/// previous block produced flow on. Every entry has the same token count; each is [n, width] (shared
/// by the batch) or [batch, n, width]. Tokens may also enter later (<see cref="EnteringAt"/>): before
/// block <see cref="FirstLayer"/> they are inserted, lengthening the sequence, and replaced after that
/// (MMRL's representation tokens).
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

    LayerPrompts(Tensor?[] layers, int firstLayer)
    {
        _layers = layers;
        FirstLayer = firstLayer;
    }

    /// <summary>
    /// Tokens that enter the sequence before block <paramref name="firstLayer"/> (≥ 1), inserted there as extra rows,
    /// and replace those rows before each of the following blocks: <paramref name="layers"/>[i] is for block
    /// <paramref name="firstLayer"/> + i.
    /// </summary>
    public static LayerPrompts EnteringAt(int firstLayer, IReadOnlyList<Tensor> layers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(firstLayer, 1);
        if (layers.Count == 0)
            throw new ArgumentException("prompts need tokens at their first layer", nameof(layers));
        var count = layers[0].shape[^2];
        if (layers.Any(t => t.shape[^2] != count))
            throw new ArgumentException($"every layer's prompts must have the same token count ({count})", nameof(layers));
        return new LayerPrompts([.. Enumerable.Repeat<Tensor?>(null, firstLayer), .. layers], firstLayer);
    }

    /// <summary>The layer whose block first sees the tokens: 0 when they are part of the input, else where they are inserted.</summary>
    public int FirstLayer { get; }

    /// <summary>Number of prompt tokens.</summary>
    public long TokenCount => Input.shape[^2];

    /// <summary>Number of layers that receive new tokens (the prompt depth J).</summary>
    public int Depth => _layers.Length;

    /// <summary>The tokens for layer <paramref name="layer"/>, or null when that layer keeps what flows in.</summary>
    public Tensor? At(int layer) => layer < _layers.Length ? _layers[layer] : null;

    /// <summary>The tokens that enter first: at the input, or before block <see cref="FirstLayer"/>.</summary>
    public Tensor Input => _layers[FirstLayer]!;

    /// <summary>The prompts of some rows of the batch: per-row tokens [batch, n, width] are selected, shared ones kept.</summary>
    internal LayerPrompts SelectRows(Tensor rows) =>
        new(_layers.Select(t => t is { } tokens && tokens.dim() == 3 ? tokens.index_select(0, rows) : t).ToArray(), FirstLayer);
}
