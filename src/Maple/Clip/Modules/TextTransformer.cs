using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>CLIP's text encoder: a causal transformer read out at the end-of-text token.</summary>
public sealed class TextTransformer : nn.Module<Tensor, Tensor>
{
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
    public Parameter TokenEmbedding { get; }

    /// <summary>Positional embeddings [context, width].</summary>
    public Parameter PositionalEmbedding { get; }

    /// <summary>The blocks.</summary>
    public PromptedTransformer Transformer { get; }

    /// <summary>The final LayerNorm.</summary>
    public FrozenLayerNorm FinalNorm { get; }

    /// <summary>Projection into the joint space, weight [embed, width].</summary>
    public FrozenLinear Projection { get; }

    /// <summary>Embeds token ids [n, length] (no positional embedding).</summary>
    public Tensor Embed(Tensor tokenIds) =>
        TokenEmbedding.index_select(0, tokenIds.reshape(-1)).view(tokenIds.shape[0], tokenIds.shape[1], Config.Width);

    /// <inheritdoc />
    public override Tensor forward(Tensor tokenIds) => Forward(tokenIds, null);

    /// <summary>
    /// Text features [n, embed] (fp32, not normalised) of token ids [n, context]. Prompt tokens
    /// replace rows 1..k of the embedded sequence at the input and before each deep layer.
    /// </summary>
    public Tensor Forward(Tensor tokenIds, LayerPrompts? prompts)
    {
        using var scope = NewDisposeScope();
        var endOfText = tokenIds.argmax(-1);
        // With the causal mask, the end-of-text feature depends on no later position: running only up
        // to the longest prompt's end gives the same result bit for bit, and far less work than 77.
        var length = endOfText.max().item<long>() + 1;
        var x = Embed(tokenIds[.., ..(int)length]);
        if (prompts is not null)
        {
            CheckWidth(prompts);
            x = PromptedTransformer.Replace(x, prompts.Input, PromptSlot.AfterFirstToken);
        }
        x = x + PositionalEmbedding[..(int)length];
        x = Transformer.Forward(x, prompts, PromptSlot.AfterFirstToken);
        x = FinalNorm.forward(x);
        var pooled = x[arange(x.shape[0]), endOfText];
        return Projection.forward(pooled).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    void CheckWidth(LayerPrompts prompts)
    {
        if (prompts.Input.shape[^1] != Config.Width)
            throw new ArgumentException($"text prompts have width {prompts.Input.shape[^1]}, but this text encoder's width is {Config.Width}");
    }
}
