using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>CLIP's image encoder: a ViT read out at the class token.</summary>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the encoder for <paramref name="config"/>, projecting to <paramref name="embedDim"/>, with matrix weights of <paramref name="dtype"/>.</summary>
    public VisionTransformer(ClipVisionConfig config, int embedDim, ScalarType dtype) : base(nameof(VisionTransformer))
    {
        Config = config;
        PatchEmbedding = new Parameter(empty([config.Width, 3, config.PatchSize, config.PatchSize], dtype), requires_grad: false);
        ClassEmbedding = new Parameter(empty(config.Width), requires_grad: false);
        PositionalEmbedding = new Parameter(empty(config.SequenceLength, config.Width), requires_grad: false);
        PreNorm = new FrozenLayerNorm(config.Width, config.LayerNormEps);
        Transformer = new PromptedTransformer(config.Layers, config.Width, config.Heads, config.IntermediateSize,
            config.Activation, config.LayerNormEps, causal: false, dtype);
        PostNorm = new FrozenLayerNorm(config.Width, config.LayerNormEps);
        Projection = new FrozenLinear(config.Width, embedDim, dtype, hasBias: false);
        register_parameter("conv1", PatchEmbedding);
        register_parameter("class_embedding", ClassEmbedding);
        register_parameter("positional_embedding", PositionalEmbedding);
        register_module("ln_pre", PreNorm);
        register_module("transformer", Transformer);
        register_module("ln_post", PostNorm);
        register_module("proj", Projection);
    }

    /// <summary>The architecture.</summary>
    public ClipVisionConfig Config { get; }

    /// <summary>The patch convolution's kernel [width, 3, patch, patch] (no bias).</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "conv1")]
    public Parameter PatchEmbedding { get; }

    /// <summary>The class token [width].</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "class_embedding")]
    public Parameter ClassEmbedding { get; }

    /// <summary>Positional embeddings [1 + patches, width].</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "positional_embedding")]
    public Parameter PositionalEmbedding { get; }

    /// <summary>LayerNorm before the blocks.</summary>
    public FrozenLayerNorm PreNorm { get; }

    /// <summary>The blocks.</summary>
    public PromptedTransformer Transformer { get; }

    /// <summary>LayerNorm of the class token after the blocks.</summary>
    public FrozenLayerNorm PostNorm { get; }

    /// <summary>Projection into the joint space, weight [embed, width].</summary>
    public FrozenLinear Projection { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor pixels) => Forward(pixels, null);

    /// <summary>
    /// Image features [batch, embed] (fp32, not normalised) of normalised pixels [batch, 3, size, size].
    /// Prompt tokens are appended after the patches (after the positional embedding, before ln_pre) and
    /// replace the last rows before each deep layer.
    /// </summary>
    public Tensor Forward(Tensor pixels, LayerPrompts? prompts)
    {
        using var scope = NewDisposeScope();
        var classToken = Transformer.Forward(Tokens(pixels, prompts), prompts, PromptSlot.AtEnd, readoutRow: 0);
        return Pool(classToken).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The image features of <see cref="Forward(Tensor, LayerPrompts?)"/> (bit for bit) and local features
    /// [batch, patches, embed] (fp32, not normalised, patches in row-major grid order): each patch token's
    /// last-block output with attention restricted to the token itself (its value path, with the block's
    /// residuals and MLP), then ln_post and the projection, as GL-MCM and LoCoOp read them. Prompt tokens and
    /// the class token are not among them.
    /// </summary>
    public (Tensor Global, Tensor Local) ForwardWithLocal(Tensor pixels, LayerPrompts? prompts)
    {
        using var scope = NewDisposeScope();
        var (classToken, selfOnly) = Transformer.ForwardWithLastSelfOnly(Tokens(pixels, prompts), prompts, PromptSlot.AtEnd, readoutRow: 0);
        var patches = selfOnly[.., 1..Config.SequenceLength];
        var local = Projection.forward(PostNorm.forward(patches)).to(ScalarType.Float32);
        return (Pool(classToken).MoveToOuterDisposeScope(), local.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The image features of <see cref="Forward(Tensor, LayerPrompts?)"/> and the prompt tokens' own outputs
    /// after the last block and ln_post, [batch, tokens, width] fp32 (not projected): what MMRL pools into its
    /// representation features.
    /// </summary>
    public (Tensor Global, Tensor PromptTokens) ForwardWithPromptTokens(Tensor pixels, LayerPrompts prompts)
    {
        using var scope = NewDisposeScope();
        var x = Transformer.Forward(Tokens(pixels, prompts), prompts, PromptSlot.AtEnd);
        var promptTokens = PostNorm.forward(x[.., (int)(x.shape[1] - prompts.TokenCount)..]).to(ScalarType.Float32);
        return (Pool(x[.., 0]).MoveToOuterDisposeScope(), promptTokens.MoveToOuterDisposeScope());
    }

    /// <summary>The sequence the blocks read: class token, patches (+ positions), prompts, after ln_pre.</summary>
    Tensor Tokens(Tensor pixels, LayerPrompts? prompts)
    {
        if (pixels.dim() != 4 || pixels.shape[1] != 3 || pixels.shape[2] != Config.ImageSize || pixels.shape[3] != Config.ImageSize)
            throw new ArgumentException($"images must be [batch, 3, {Config.ImageSize}, {Config.ImageSize}], got [{string.Join(", ", pixels.shape)}]");
        var patches = nn.functional.conv2d(pixels.to(PatchEmbedding.dtype, PatchEmbedding.device), PatchEmbedding, null, [Config.PatchSize, Config.PatchSize]);
        var x = patches.flatten(2).transpose(1, 2).to(ScalarType.Float32); // [B, patches, width]
        var batch = x.shape[0];
        x = cat([ClassEmbedding.to(ScalarType.Float32).expand(batch, 1, -1), x], 1) + PositionalEmbedding;
        if (prompts is not null)
        {
            if (prompts.Input.shape[^1] != Config.Width)
                throw new ArgumentException($"visual prompts have width {prompts.Input.shape[^1]}, but this image encoder's width is {Config.Width}");
            if (prompts.FirstLayer == 0)
                x = PromptedTransformer.Append(x, prompts.Input);
        }
        return PreNorm.forward(x);
    }

    /// <summary>The class token's output [batch, width], ln_post, projected: [batch, embed] fp32.</summary>
    Tensor Pool(Tensor classToken) => Projection.forward(PostNorm.forward(classToken)).to(ScalarType.Float32);
}
