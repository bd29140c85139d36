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

    /// <summary>Creates <paramref name="layers"/> blocks.</summary>
    public PromptedTransformer(int layers, long width, long heads, long hidden, string activation, double eps, bool causal, ScalarType dtype)
        : base(nameof(PromptedTransformer))
    {
        _blocks = Enumerable.Range(0, layers)
            .Select(_ => new ResidualAttentionBlock(width, heads, hidden, activation, eps, causal, dtype))
            .ToArray();
        register_module("resblocks", new ModuleList<ResidualAttentionBlock>(_blocks));
    }

    /// <summary>The blocks, in order.</summary>
    public IReadOnlyList<ResidualAttentionBlock> Blocks => _blocks;

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Forward(x, null, PromptSlot.AtEnd);

    /// <summary>Runs the blocks over [batch, length, width], inserting the deep prompts of layers 1.. at <paramref name="slot"/>.</summary>
    public Tensor Forward(Tensor x, LayerPrompts? prompts, PromptSlot slot)
    {
        using var scope = NewDisposeScope();
        return Run(x, prompts, slot, readoutRow: null, lastSelfOnly: false).Output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The output of the blocks at one row only, [batch, width]: what an encoder reads out (the class
    /// token, or the end of text when it is every sequence's last row). The last block computes just that
    /// row, attending from it to every row, which saves most of a block.
    /// </summary>
    public Tensor ForwardRow(Tensor x, LayerPrompts? prompts, PromptSlot slot, long row)
    {
        using var scope = NewDisposeScope();
        return Run(x, prompts, slot, row, lastSelfOnly: false).Output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Like <see cref="ForwardRow"/>, and also the last block run on the same input with every token
    /// attending only to itself (<see cref="ResidualAttentionBlock.ForwardSelfOnly"/>): per-token features
    /// that keep each position's own content, e.g. local (per-patch) image features.
    /// </summary>
    public (Tensor Row, Tensor LastSelfOnly) ForwardRowWithLastSelfOnly(Tensor x, LayerPrompts? prompts, PromptSlot slot, long row)
    {
        using var scope = NewDisposeScope();
        var (output, selfOnly) = Run(x, prompts, slot, row, lastSelfOnly: true);
        return (output.MoveToOuterDisposeScope(), selfOnly!.MoveToOuterDisposeScope());
    }

    (Tensor Output, Tensor? LastSelfOnly) Run(Tensor x, LayerPrompts? prompts, PromptSlot slot, long? readoutRow, bool lastSelfOnly)
    {
        Tensor? selfOnly = null;
        for (var layer = 0; layer < _blocks.Length; layer++)
        {
            if (layer > 0 && prompts?.At(layer) is { } tokens)
                x = layer == prompts.FirstLayer ? Insert(x, tokens, slot) : Replace(x, tokens, slot);
            var last = layer == _blocks.Length - 1;
            if (lastSelfOnly && last)
                selfOnly = _blocks[layer].ForwardSelfOnly(x);
            x = last && readoutRow is { } row ? _blocks[layer].ForwardRow(x, row) : _blocks[layer].forward(x);
        }
        return (x, selfOnly);
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
