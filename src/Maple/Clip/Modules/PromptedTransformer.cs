using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>Where an encoder keeps its prompt tokens in the sequence.</summary>
public enum PromptSlot
{
    /// <summary>Rows 1..n, right after the start-of-text token (the text encoder).</summary>
    AfterFirstToken,

    /// <summary>The last n rows, after the class token and the patches (the vision encoder).</summary>
    AtEnd,
}

/// <summary>
/// A stack of residual attention blocks that, before block k ≥ 1, replaces the prompt rows of the
/// residual stream with the tokens given for layer k ("deep" prompting). With no tokens for a layer,
/// the rows that the previous block produced flow on unchanged.
/// </summary>
public sealed class PromptedTransformer : nn.Module<Tensor, Tensor>
{
    readonly ResidualAttentionBlock[] _blocks;
    MemorySavingBackward? _memorySaving;

    /// <summary>Creates <paramref name="layers"/> blocks (at least one).</summary>
    public PromptedTransformer(int layers, long width, long heads, long hidden, string activation, double eps, bool causal, ScalarType dtype)
        : base(nameof(PromptedTransformer))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        _blocks = Enumerable.Range(0, layers)
            .Select(_ => new ResidualAttentionBlock(width, heads, hidden, activation, eps, causal, dtype))
            .ToArray();
        register_module("resblocks", new ModuleList<ResidualAttentionBlock>(_blocks));
    }

    /// <summary>The blocks, in order.</summary>
    public IReadOnlyList<ResidualAttentionBlock> Blocks => _blocks;

    /// <summary>
    /// Whether blocks whose weights are frozen, run over every row with autograd recording, keep only what their
    /// input's gradient needs (about 18 bytes per residual element in bf16 instead of autograd's 45) and recompute
    /// the rest in the backward pass, which then takes about 15% longer. Off by default; worth it for many class
    /// prompts (hundreds or more) in one training step. It changes no value beyond rounding.
    /// </summary>
    public bool MemorySavingBackward
    {
        get => _memorySaving is not null;
        set
        {
            if (value == MemorySavingBackward)
                return;
            if (value)
            {
                _memorySaving = new MemorySavingBackward();
            }
            else
            {
                _memorySaving!.Dispose();
                _memorySaving = null;
            }
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Forward(x, null, PromptSlot.AtEnd);

    /// <summary>
    /// Runs the blocks over [batch, length, width], inserting the deep prompts of layers 1.. at <paramref name="slot"/>:
    /// [batch, length, width], or [batch, width] at the one <paramref name="readoutRow"/> an encoder reads out (the
    /// class token, or the end of text when it is every sequence's last row), which the last block computes alone.
    /// </summary>
    public Tensor Forward(Tensor x, LayerPrompts? prompts, PromptSlot slot, long? readoutRow = null)
    {
        using var scope = NewDisposeScope();
        return _blocks[^1].Forward(LastBlockInput(x, prompts, slot), readoutRow).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Forward"/>'s result, and the last block run on the same input with every token attending only to
    /// itself (<see cref="AttentionScope.SelfOnly"/>), [batch, length, width]: per-token features that keep each
    /// position's own content, e.g. local (per-patch) image features.
    /// </summary>
    public (Tensor Output, Tensor LastSelfOnly) ForwardWithLastSelfOnly(Tensor x, LayerPrompts? prompts, PromptSlot slot, long? readoutRow = null)
    {
        using var scope = NewDisposeScope();
        var input = LastBlockInput(x, prompts, slot);
        var output = _blocks[^1].Forward(input, readoutRow);
        var selfOnly = _blocks[^1].Forward(input, scope: AttentionScope.SelfOnly);
        return (output.MoveToOuterDisposeScope(), selfOnly.MoveToOuterDisposeScope());
    }

    /// <summary>What the last block reads: the blocks before it run, each layer's prompts written in.</summary>
    Tensor LastBlockInput(Tensor x, LayerPrompts? prompts, PromptSlot slot)
    {
        for (var layer = 0; ; layer++)
        {
            if (layer > 0 && prompts?.At(layer) is { } tokens)
                x = layer == prompts.FirstLayer ? Insert(x, tokens, slot) : Replace(x, tokens, slot);
            if (layer == _blocks.Length - 1)
                return x;
            x = _memorySaving?.Forward(_blocks[layer], x) ?? _blocks[layer].Forward(x);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            MemorySavingBackward = false;
        base.Dispose(disposing);
    }

    /// <summary>Writes <paramref name="tokens"/> ([n, width] shared, or [batch, n, width]) over the prompt rows of <paramref name="x"/>.</summary>
    public static Tensor Replace(Tensor x, Tensor tokens, PromptSlot slot)
    {
        var count = tokens.shape[^2];
        var expanded = Expand(tokens, x.shape[0]);
        return slot == PromptSlot.AfterFirstToken
            ? cat([x[.., ..1], expanded, x[.., (int)(1 + count)..]], 1)
            : cat([x[.., ..(int)(x.shape[1] - count)], expanded], 1);
    }

    /// <summary>Inserts <paramref name="tokens"/> as new rows of <paramref name="x"/> at <paramref name="slot"/>, lengthening the sequence.</summary>
    public static Tensor Insert(Tensor x, Tensor tokens, PromptSlot slot) => slot == PromptSlot.AfterFirstToken
        ? cat([x[.., ..1], Expand(tokens, x.shape[0]), x[.., 1..]], 1)
        : Append(x, tokens);

    /// <summary>Appends <paramref name="tokens"/> after the last row of <paramref name="x"/>.</summary>
    public static Tensor Append(Tensor x, Tensor tokens) => cat([x, Expand(tokens, x.shape[0])], 1);

    static Tensor Expand(Tensor tokens, long batch) =>
        (tokens.dim() == 2 ? tokens.unsqueeze(0).expand(batch, -1, -1) : tokens).to(ScalarType.Float32);
}
