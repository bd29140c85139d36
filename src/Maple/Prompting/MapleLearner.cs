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
    const string Context = "prompt_learner.ctx";
    readonly string[] _deepText;

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
        Learn(Context, useInit ? EmbedWords(clip, tokenizer, init, nCtx) : PromptNormal(nCtx, textWidth, generator));

        var (w, b) = DefaultLinear(textWidth, visionWidth, generator);
        Learn("prompt_learner.proj.weight", w);
        Learn("prompt_learner.proj.bias", b);

        _deepText = Enumerable.Range(0, depth - 1).Select(i => $"prompt_learner.compound_prompts_text.{i}").ToArray();
        foreach (var name in _deepText)
            Learn(name, PromptNormal(nCtx, textWidth, generator));

        // Every deeper coupling starts as a copy of one default-initialised layer (the authors clone it).
        var (sharedWeight, sharedBias) = DefaultLinear(textWidth, visionWidth, generator);
        for (var i = 0; i < depth - 1; i++)
        {
            Learn($"prompt_learner.compound_prompt_projections.{i}.weight", sharedWeight.clone());
            Learn($"prompt_learner.compound_prompt_projections.{i}.bias", sharedBias.clone());
        }
        sharedWeight.Dispose();
        sharedBias.Dispose();
    }

    /// <inheritdoc />
    public override string PromptPrefix { get; }

    /// <inheritdoc />
    public override LayerPrompts TextPrompts() => new([Learned(Context), .. _deepText.Select(Learned)]);

    /// <inheritdoc />
    public override LayerPrompts VisionPrompts()
    {
        var input = Coupled(Learned(Context), "prompt_learner.proj");
        var deep = _deepText.Select((name, i) => Coupled(Learned(name), $"prompt_learner.compound_prompt_projections.{i}"));
        return new([input, .. deep]);
    }

    /// <summary>F_k(P_k): the text prompt through its coupling layer.</summary>
    Tensor Coupled(Tensor text, string layer) => nn.functional.linear(text, Learned($"{layer}.weight"), Learned($"{layer}.bias"));
}
