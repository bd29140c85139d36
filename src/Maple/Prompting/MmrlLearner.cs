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

    const string TokensName = "representation_learner.compound_rep_tokens";
    const string ToVisionPrefix = "representation_learner.compound_rep_tokens_r2vproj";
    const string ToTextPrefix = "representation_learner.compound_rep_tokens_r2tproj";
    const string RepresentationProjectionName = "image_encoder.proj_rep";

    /// <summary>Initialises the parameters as the authors do, drawing random values from <paramref name="generator"/>.</summary>
    public MmrlLearner(PromptConfig config, ClipModel clip, Generator generator)
        : base(config, clip.Config)
    {
        var (textWidth, visionWidth, embed) = (clip.Config.Text.Width, clip.Config.Vision.Width, (long)clip.Config.EmbedDim);
        var (tokens, depth, dim) = (config.TextTokens, config.TextDepth, config.RepresentationDim);
        Template = config.TextTemplate!;
        PromptPrefix = Template[..Template.IndexOf(PromptTemplates.Placeholder, StringComparison.Ordinal)].Trim();
        Learn(TokensName, PromptNormal(tokens, dim, generator));
        // Every layer's projection starts as a copy of one default-initialised layer (the authors clone it).
        Clones(ToVisionPrefix, DefaultLinear(dim, visionWidth, generator), depth);
        Clones(ToTextPrefix, DefaultLinear(dim, textWidth, generator), depth);
        // CLIP's own proj is N(0, width^-0.5) at construction; proj_rep is not in CLIP's weights, so it keeps that draw.
        Learn(RepresentationProjectionName, normal(0, 1.0 / Math.Sqrt(visionWidth), [visionWidth, embed], generator: generator));
    }

    /// <inheritdoc />
    public override string PromptPrefix { get; }

    /// <inheritdoc />
    public override string Template { get; }

    /// <summary>α, the weight of the class-token logits in the fused logits.</summary>
    public double ClassTokenWeight => Config.ClassTokenWeight;

    /// <inheritdoc />
    public override LayerPrompts TextPrompts() => Project(ToTextPrefix, ClipConfig.Text.Layers);

    /// <inheritdoc />
    public override LayerPrompts VisionPrompts() => Project(ToVisionPrefix, ClipConfig.Vision.Layers);

    /// <summary>
    /// The representation features [batch, embed] (not normalised) from the representation tokens' outputs after
    /// ln_post [batch, tokens, width]: their mean, through the trainable projection.
    /// </summary>
    public Tensor RepresentationFeatures(Tensor promptTokens) => promptTokens.mean([1]).matmul(Learned(RepresentationProjectionName));

    /// <summary>The tokens each of the last <see cref="PromptConfig.TextDepth"/> layers receives: R through that layer's projection.</summary>
    LayerPrompts Project(string prefix, int layers)
    {
        var depth = Config.TextDepth;
        var tokens = Learned(TokensName);
        return LayerPrompts.EnteringAt(layers - depth,
            Enumerable.Range(0, depth).Select(i => nn.functional.linear(tokens, Learned($"{prefix}.{i}.weight"), Learned($"{prefix}.{i}.bias"))).ToList());
    }

    void Clones(string prefix, (Tensor Weight, Tensor Bias) shared, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Learn($"{prefix}.{i}.weight", shared.Weight.clone());
            Learn($"{prefix}.{i}.bias", shared.Bias.clone());
        }
        shared.Weight.Dispose();
        shared.Bias.Dispose();
    }
}
