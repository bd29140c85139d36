using Maple.Clip;
using Maple.Tokenization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// CoCoOp (Zhou et al., CVPR 2022): CoOp's context plus a meta-network
/// Linear(embed → embed/16) → ReLU → Linear(→ text width) of the normalised image feature, whose
/// output is added to every context token, so each image gets its own text prompts.
/// </summary>
public sealed class CoCoOpLearner : PromptLearner
{
    const string Context = "prompt_learner.ctx";

    /// <summary>Initialises the prompts as the authors do, drawing random values from <paramref name="generator"/>.</summary>
    public CoCoOpLearner(PromptConfig config, ClipModel clip, ClipTokenizer tokenizer, Generator generator)
        : base(config, clip.Config)
    {
        var textWidth = clip.Config.Text.Width;
        var embed = clip.Config.EmbedDim;
        var init = config.CtxInit.Replace('_', ' ').Trim();
        var useInit = init.Length > 0 && PromptLearners.WordCount(init) == config.TextTokens;
        PromptPrefix = useInit ? init : Placeholders(config.TextTokens);
        Learn(Context,
            useInit ? EmbedWords(clip, tokenizer, init, config.TextTokens) : PromptNormal(config.TextTokens, textWidth, generator));
        var hidden = Math.Max(1, embed / 16);
        var (w1, b1) = DefaultLinear(embed, hidden, generator);
        Learn("prompt_learner.meta_net.linear1.weight", w1);
        Learn("prompt_learner.meta_net.linear1.bias", b1);
        var (w2, b2) = DefaultLinear(hidden, textWidth, generator);
        Learn("prompt_learner.meta_net.linear2.weight", w2);
        Learn("prompt_learner.meta_net.linear2.bias", b2);
    }

    /// <inheritdoc />
    public override string PromptPrefix { get; }

    /// <inheritdoc />
    public override bool ConditionsOnImage => true;

    /// <summary>Not used: CoCoOp's text prompts need the image; see <see cref="TextPromptsFor"/>.</summary>
    public override LayerPrompts? TextPrompts() => throw new NotSupportedException("CoCoOp text prompts depend on the image");

    /// <inheritdoc />
    public override LayerPrompts? VisionPrompts() => null;

    /// <inheritdoc />
    public override LayerPrompts TextPromptsFor(Tensor normalizedImageFeature)
    {
        var hidden = nn.functional.relu(nn.functional.linear(normalizedImageFeature,
            Learned("prompt_learner.meta_net.linear1.weight"), Learned("prompt_learner.meta_net.linear1.bias")));
        var bias = nn.functional.linear(hidden, Learned("prompt_learner.meta_net.linear2.weight"), Learned("prompt_learner.meta_net.linear2.bias"));
        return new([Learned(Context) + bias.unsqueeze(0)]);
    }
}
