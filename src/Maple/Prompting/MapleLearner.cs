using Maple.Clip;
using Maple.Tokenization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// MaPLe (Khattak et al., CVPR 2023): text context <c>ctx</c> and deep text prompts P_1..P_{J-1}; the
/// vision prompts are F_k(P_k), one coupling Linear(text width → vision width) per depth, so every
/// gradient that reaches a vision prompt also reaches the text prompt it came from.
/// </summary>
public sealed class MapleLearner : PromptLearner
{
    readonly Parameter _context;
    readonly (Parameter Weight, Parameter Bias) _contextProjection;
    readonly Parameter[] _deepText;
    readonly (Parameter Weight, Parameter Bias)[] _deepProjections;

    /// <summary>Initialises the prompts as the authors do, drawing random values from <paramref name="generator"/>.</summary>
    public MapleLearner(PromptConfig config, ClipModel clip, ClipTokenizer tokenizer, Generator generator)
        : base(config, clip.Config)
    {
        var (nCtx, depth) = (config.TextTokens, config.TextDepth);
        var (textWidth, visionWidth) = (clip.Config.Text.Width, clip.Config.Vision.Width);
        var init = config.CtxInit.Replace('_', ' ').Trim();
        // The authors use the init words only for n_ctx <= 4; the prompt keeps all of them, while
        // ctx learns the first n_ctx tokens ("a photo of a", n_ctx 2: learns "a photo", keeps "of a").
        var useInit = init.Length > 0 && nCtx <= 4;
        PromptPrefix = useInit ? init : Placeholders(nCtx);
        _context = Learn("prompt_learner.ctx", useInit ? EmbedWords(clip, tokenizer, init, nCtx) : PromptNormal(nCtx, textWidth, generator));

        var (w, b) = DefaultLinear(textWidth, visionWidth, generator);
        _contextProjection = (Learn("prompt_learner.proj.weight", w), Learn("prompt_learner.proj.bias", b));

        _deepText = Enumerable.Range(0, depth - 1)
            .Select(i => Learn($"prompt_learner.compound_prompts_text.{i}", PromptNormal(nCtx, textWidth, generator)))
            .ToArray();

        // Every deeper coupling starts as a copy of one default-initialised layer (the authors clone it).
        var (sharedWeight, sharedBias) = DefaultLinear(textWidth, visionWidth, generator);
        _deepProjections = Enumerable.Range(0, depth - 1)
            .Select(i => (Learn($"prompt_learner.compound_prompt_projections.{i}.weight", sharedWeight.clone()),
                          Learn($"prompt_learner.compound_prompt_projections.{i}.bias", sharedBias.clone())))
            .ToArray();
        sharedWeight.Dispose();
        sharedBias.Dispose();
    }

    /// <inheritdoc />
    public override string PromptPrefix { get; }

    /// <inheritdoc />
    public override LayerPrompts TextPrompts() => new([_context, .. _deepText]);

    /// <inheritdoc />
    public override LayerPrompts VisionPrompts()
    {
        var input = nn.functional.linear(_context, _contextProjection.Weight, _contextProjection.Bias);
        var deep = _deepText.Zip(_deepProjections, (text, f) => nn.functional.linear(text, f.Weight, f.Bias));
        return new([input, .. deep]);
    }
}
