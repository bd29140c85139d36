using Maple.Clip;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// MMRL (Guo and Gu, CVPR 2025): representation tokens R [n, rep_dim] shared by both encoders; before each of
/// the last layers of an encoder, a Linear(rep_dim → width) of that layer maps R to the tokens it receives (the
/// first such layer inserts them, the next ones replace them). The class token's projection stays frozen; the
/// representation tokens get a trainable one of their own (<c>image_encoder.proj_rep</c>), which
/// <see cref="RepresentationFeatures"/> applies. The text is hand-written (<see cref="PromptConfig.TextTemplate"/>).
/// Names follow the authors' <c>trainers/mmrl.py</c>. The authors insert the image tokens after the class token, the
/// image encoder here after the patches: they carry no positional embedding and the attention is not causal, so
/// every output is the same.
/// </summary>
public sealed class MmrlLearner : PromptLearner
{
    /// <summary>MMRL scales its cosine logits by 100, fixed, rather than by CLIP's learned temperature.</summary>
    public const double LogitScale = 100;

    readonly Parameter _tokens;
    readonly (Parameter Weight, Parameter Bias)[] _toVision;
    readonly (Parameter Weight, Parameter Bias)[] _toText;
    readonly Parameter _representationProjection;

    /// <summary>Initialises the parameters as the authors do, drawing random values from <paramref name="generator"/>.</summary>
    public MmrlLearner(PromptConfig config, ClipModel clip, Generator generator)
        : base(config, clip.Config)
    {
        var (textWidth, visionWidth, embed) = (clip.Config.Text.Width, clip.Config.Vision.Width, (long)clip.Config.EmbedDim);
        var (tokens, depth, dim) = (config.TextTokens, config.TextDepth, config.RepresentationDim);
        Template = config.TextTemplate!;
        PromptPrefix = Template[..Template.IndexOf(PromptTemplates.Placeholder, StringComparison.Ordinal)].Trim();
        _tokens = Learn("representation_learner.compound_rep_tokens", PromptNormal(tokens, dim, generator));
        // Every layer's projection starts as a copy of one default-initialised layer (the authors clone it).
        _toVision = Clones("representation_learner.compound_rep_tokens_r2vproj", DefaultLinear(dim, visionWidth, generator), depth);
        _toText = Clones("representation_learner.compound_rep_tokens_r2tproj", DefaultLinear(dim, textWidth, generator), depth);
        // CLIP's own proj is N(0, width^-0.5) at construction; proj_rep is not in CLIP's weights, so it keeps that draw.
        _representationProjection = Learn("image_encoder.proj_rep", normal(0, 1.0 / Math.Sqrt(visionWidth), [visionWidth, embed], generator: generator));
    }

    /// <inheritdoc />
    public override string PromptPrefix { get; }

    /// <inheritdoc />
    public override string Template { get; }

    /// <summary>α, the weight of the class-token logits in the fused logits.</summary>
    public double ClassTokenWeight => Config.ClassTokenWeight;

    /// <inheritdoc />
    public override LayerPrompts TextPrompts() => Project(_toText, ClipConfig.Text.Layers);

    /// <inheritdoc />
    public override LayerPrompts VisionPrompts() => Project(_toVision, ClipConfig.Vision.Layers);

    /// <summary>
    /// The representation features [batch, embed] (not normalised) from the representation tokens' outputs after
    /// ln_post [batch, tokens, width]: their mean, through the trainable projection.
    /// </summary>
    public Tensor RepresentationFeatures(Tensor promptTokens) => promptTokens.mean([1]).matmul(_representationProjection);

    LayerPrompts Project((Parameter Weight, Parameter Bias)[] projections, int layers) =>
        LayerPrompts.EnteringAt(layers - projections.Length,
            projections.Select(p => nn.functional.linear(_tokens, p.Weight, p.Bias)).ToList());

    (Parameter, Parameter)[] Clones(string prefix, (Tensor Weight, Tensor Bias) shared, int count)
    {
        var clones = Enumerable.Range(0, count)
            .Select(i => (Learn($"{prefix}.{i}.weight", shared.Weight.clone()), Learn($"{prefix}.{i}.bias", shared.Bias.clone())))
            .ToArray();
        shared.Weight.Dispose();
        shared.Bias.Dispose();
        return clones;
    }
}
