using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>CLIP's text encoder: a causal transformer read out at the end-of-text token.</summary>
public sealed class TextTransformer : nn.Module<Tensor, Tensor>
{
    /// <summary>
    /// The most prompts one pass of the blocks takes. A pass's temporaries grow with its prompts; with hundreds
    /// in one pass, the memory they free stays held between what autograd keeps and peak memory rises (at 1,000
    /// classes by about 0.3 GB). Passes of this size keep the matrix products as fast.
    /// </summary>
    const int MaxPromptsPerPass = 128;

    /// <summary>Creates the encoder for <paramref name="config"/>, projecting to <paramref name="embedDim"/>, with matrix weights of <paramref name="dtype"/>.</summary>
    public TextTransformer(ClipTextConfig config, int embedDim, ScalarType dtype) : base(nameof(TextTransformer))
    {
        Config = config;
        TokenEmbedding = new Parameter(empty(config.VocabularySize, config.Width), requires_grad: false);
        PositionalEmbedding = new Parameter(empty(config.ContextLength, config.Width), requires_grad: false);
        Transformer = new PromptedTransformer(config.Layers, config.Width, config.Heads, config.IntermediateSize,
            config.Activation, config.LayerNormEps, causal: true, dtype);
        FinalNorm = new FrozenLayerNorm(config.Width, config.LayerNormEps);
        Projection = new FrozenLinear(config.Width, embedDim, dtype, hasBias: false);
        register_parameter("token_embedding", TokenEmbedding);
        register_parameter("positional_embedding", PositionalEmbedding);
        register_module("transformer", Transformer);
        register_module("ln_final", FinalNorm);
        register_module("text_projection", Projection);
    }

    /// <summary>The architecture.</summary>
    public ClipTextConfig Config { get; }

    /// <summary>Token embeddings [vocabulary, width].</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "token_embedding")]
    public Parameter TokenEmbedding { get; }

    /// <summary>Positional embeddings [context, width].</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "positional_embedding")]
    public Parameter PositionalEmbedding { get; }

    /// <summary>The blocks.</summary>
    public PromptedTransformer Transformer { get; }

    /// <summary>The final LayerNorm.</summary>
    public FrozenLayerNorm FinalNorm { get; }

    /// <summary>Projection into the joint space, weight [embed, width].</summary>
    public FrozenLinear Projection { get; }

    /// <summary>Embeds token ids [n, length] (no positional embedding).</summary>
    /// <exception cref="UserInputException">An id is past the vocabulary: the tokenizer is another model's.</exception>
    public Tensor Embed(Tensor tokenIds)
    {
        if (tokenIds.numel() > 0)
        {
            using var largest = tokenIds.max();
            if (largest.ToInt64() >= Config.VocabularySize)
                throw new UserInputException($"token id {largest.ToInt64()} is past the model's vocabulary of {Config.VocabularySize} tokens: " +
                    "the tokenizer is not the model's; use the tokenizer that belongs to the model");
        }
        return TokenEmbedding.index_select(0, tokenIds.to(TokenEmbedding.device).reshape(-1)).view(tokenIds.shape[0], tokenIds.shape[1], Config.Width);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor tokenIds) => Forward(tokenIds, null);

    /// <summary>
    /// Text features [n, embed] (fp32, not normalised) of token ids [n, context]. Prompt tokens
    /// replace rows 1..k of the embedded sequence at the input and before each deep layer; tokens that
    /// enter at a deeper layer (<see cref="LayerPrompts.FirstLayer"/>) are inserted there after the
    /// start-of-text token, without positional embedding.
    /// </summary>
    public Tensor Forward(Tensor tokenIds, LayerPrompts? prompts)
    {
        using var scope = NewDisposeScope();
        if (prompts is not null)
            CheckWidth(prompts);
        tokenIds = tokenIds.to(TokenEmbedding.device);
        var endOfText = tokenIds.argmax(-1);
        // With the causal mask, a prompt's end-of-text feature depends on no later position, so each
        // prompt needs only its first eot+1 positions: prompts of equal length run together, and the
        // longest class name does not make every other prompt pay for its padding.
        var lengths = endOfText.cpu().data<long>().ToArray();
        var groups = Enumerable.Range(0, lengths.Length).GroupBy(i => lengths[i]).SelectMany(g => g.Chunk(MaxPromptsPerPass)).ToList();
        if (groups.Count == 1)
            return Encode(tokenIds, endOfText, prompts).MoveToOuterDisposeScope();

        var parts = new List<Tensor>(groups.Count);
        foreach (var group in groups)
        {
            var rows = tensor(group.Select(i => (long)i).ToArray(), device: tokenIds.device);
            parts.Add(Encode(tokenIds.index_select(0, rows), endOfText.index_select(0, rows), prompts?.SelectRows(rows)));
        }
        var inverse = new long[lengths.Length];
        var position = 0L;
        foreach (var row in groups.SelectMany(g => g))
            inverse[row] = position++;
        return cat(parts, 0).index_select(0, tensor(inverse, device: tokenIds.device)).MoveToOuterDisposeScope();
    }

    Tensor Encode(Tensor tokenIds, Tensor endOfText, LayerPrompts? prompts)
    {
        var length = (int)endOfText.max().item<long>() + 1;
        var x = Embed(tokenIds[.., ..length]);
        if (prompts is { FirstLayer: 0 })
            x = PromptedTransformer.Replace(x, prompts.Input, PromptSlot.AfterFirstToken);
        x = x + PositionalEmbedding[..length];
        // Every prompt of the group ends at the last row, which is the only one read out; tokens inserted
        // in a deeper layer lengthen the sequence (and move the end of text down) by their count.
        var inserted = prompts is { FirstLayer: > 0 } ? prompts.TokenCount : 0;
        var endRow = Transformer.Forward(x, prompts, PromptSlot.AfterFirstToken, readoutRow: length - 1 + inserted);
        return Projection.forward(FinalNorm.forward(endRow)).to(ScalarType.Float32);
    }

    void CheckWidth(LayerPrompts prompts)
    {
        if (prompts.Input.shape[^1] != Config.Width)
            throw new ArgumentException($"text prompts have width {prompts.Input.shape[^1]}, but this text encoder's width is {Config.Width}");
    }
}
