using Maple.Clip;
using Maple.Tokenization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// Prompt tokens that are themselves the learned parameters, with no coupling function or meta-network
/// between them: in the text branch, the vision branch or both, at the input or deeper. It serves CoOp
/// (text input only), deep language prompting (text, deep), VPT-deep (vision, deep; fixed text), IVLP and
/// PromptSRC (both, deep) and zero-shot CLIP (neither). Names follow the authors' IVLP code: text context
/// <c>prompt_learner.ctx</c>, deeper tokens <c>text_encoder/image_encoder.transformer.resblocks.{k}.VPT_shallow</c>,
/// vision input <c>image_encoder.VPT</c>.
/// </summary>
public sealed class DirectPromptLearner : PromptLearner
{
    readonly string[] _text;
    readonly string[] _vision;

    /// <summary>Initialises the prompts as the authors do, drawing random values from <paramref name="generator"/>.</summary>
    public DirectPromptLearner(PromptConfig config, ClipModel clip, ClipTokenizer tokenizer, Generator generator)
        : base(config, clip.Config)
    {
        var (textWidth, visionWidth) = (clip.Config.Text.Width, clip.Config.Vision.Width);
        var init = config.CtxInit.Replace('_', ' ').Trim();
        var text = new List<string>();
        if (config.TextTokens == 0)
        {
            PromptPrefix = PromptConfig.FixedTemplate.Replace(" {}.", "");
        }
        else
        {
            // CoOp sizes its context by the init words; the deep methods use them only for n_ctx <= 4.
            var useInit = init.Length > 0 && (config.Method == PromptMethod.CoOp
                ? PromptLearners.WordCount(init) == config.TextTokens
                : config.TextTokens <= 4);
            PromptPrefix = useInit ? init : Placeholders(config.TextTokens);
            text.Add("prompt_learner.ctx");
            for (var layer = 1; layer < config.TextDepth; layer++)
                text.Add($"text_encoder.transformer.resblocks.{layer}.VPT_shallow");
            Learn(text[0], useInit ? EmbedWords(clip, tokenizer, init, config.TextTokens) : PromptNormal(config.TextTokens, textWidth, generator));
            foreach (var name in text.Skip(1))
                Learn(name, PromptNormal(config.TextTokens, textWidth, generator));
        }

        var vision = new List<string>();
        if (config.VisionTokens > 0)
        {
            vision.Add("image_encoder.VPT");
            for (var layer = 1; layer < config.VisionDepth; layer++)
                vision.Add($"image_encoder.transformer.resblocks.{layer}.VPT_shallow");
            foreach (var name in vision)
                Learn(name, PromptNormal(config.VisionTokens, visionWidth, generator));
        }
        (_text, _vision) = (text.ToArray(), vision.ToArray());
    }

    /// <inheritdoc />
    public override string PromptPrefix { get; }

    /// <inheritdoc />
    public override LayerPrompts? TextPrompts() => _text.Length == 0 ? null : new LayerPrompts(_text.Select(Learned).ToList());

    /// <inheritdoc />
    public override LayerPrompts? VisionPrompts() => _vision.Length == 0 ? null : new LayerPrompts(_vision.Select(Learned).ToList());
}
