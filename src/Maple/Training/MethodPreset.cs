using Maple.Clip;
using Maple.Prompting;

namespace Maple.Training;

/// <summary>A method's prompts and optimisation recipe, equal to the authors' configs.</summary>
/// <param name="Name">The preset's name on the command line.</param>
/// <param name="Prompts">Prompt shape and init.</param>
/// <param name="Options">Batch size, learning rate, epochs and the shared SGD/cosine settings.</param>
public sealed record MethodPreset(string Name, PromptConfig Prompts, TrainingOptions Options)
{
    /// <summary>Every preset, by name.</summary>
    public static IReadOnlyDictionary<string, MethodPreset> All { get; } = new Dictionary<string, MethodPreset>(StringComparer.OrdinalIgnoreCase)
    {
        ["maple"] = new("maple", PromptConfig.Maple(), Recipe(4, 0.0035, 5)),
        ["maple-transfer"] = new("maple-transfer", PromptConfig.Maple(depth: 3), Recipe(4, 0.0026, 2)),
        ["ivlp"] = new("ivlp", PromptConfig.Ivlp(), Recipe(4, 0.0035, 5)),
        ["deep-language"] = new("deep-language", PromptConfig.DeepLanguage(), Recipe(4, 0.0025, 5)),
        ["vpt-deep"] = new("vpt-deep", PromptConfig.VptDeep(), Recipe(4, 0.0025, 5)),
        ["cocoop"] = new("cocoop", PromptConfig.CoCoOp(), Recipe(1, 0.002, 10)),
        ["coop"] = new("coop", PromptConfig.CoOp(), Recipe(32, 0.002, 200)),
        ["zeroshot"] = new("zeroshot", PromptConfig.ZeroShot(), Recipe(4, 0.0035, 1)),
    };

    /// <summary>The preset of <paramref name="name"/>; CoOp's epochs follow its configs for the number of shots.</summary>
    public static MethodPreset Get(string name, int? shots = null)
    {
        if (!All.TryGetValue(name, out var preset))
            throw new UserInputException($"unknown method '{name}': expected one of {string.Join(", ", All.Keys)}");
        if (preset.Name == "coop" && shots is { } k)
            preset = preset with { Options = preset.Options with { Epochs = k <= 2 ? 50 : k <= 8 ? 100 : 200 } };
        return preset;
    }

    /// <summary>
    /// This preset with some settings replaced: the one place where a method is built from a user's settings
    /// (training and the benchmark both come here). Null keeps the preset's value. <paramref name="nCtx"/>
    /// replaces the number of learned text tokens (and MaPLe's coupled vision tokens); <paramref name="visionTokens"/>
    /// the number of vision tokens of IVLP and VPT-deep; <paramref name="depth"/> the prompt depth of the deep
    /// presets (maple, maple-transfer, ivlp, deep-language, vpt-deep), e.g. to fit a backbone with fewer
    /// layers than the paper's ViT-B/16; <paramref name="ctxInit"/> the words that initialise the text
    /// context; <paramref name="epochs"/> the epochs. A setting the method does not have is refused, never
    /// ignored: CoOp and CoCoOp prompt the text input only (no depth, no vision tokens) with one context
    /// token per init word, VPT-deep and zero-shot CLIP learn no text, deep language prompting no vision.
    /// </summary>
    /// <exception cref="UserInputException">A setting the method does not have or allow, named.</exception>
    public MethodPreset Adapt(int? nCtx = null, int? depth = null, int? epochs = null, int? visionTokens = null, string? ctxInit = null)
    {
        var prompts = Prompts;
        var method = PromptMethods.Name(prompts.Method);
        if (nCtx is { } n)
        {
            Require(prompts.TextTokens > 0, $"{method} learns no text tokens, so their number cannot be set");
            Require(n >= 1, $"the number of text tokens must be at least 1 (got {n})");
            prompts = prompts.Method == PromptMethod.Maple ? prompts with { TextTokens = n, VisionTokens = n } : prompts with { TextTokens = n };
        }
        if (visionTokens is { } v)
        {
            Require(prompts.Method != PromptMethod.Maple, "MaPLe's vision tokens are coupled to its text tokens: set the number of text tokens instead");
            Require(prompts.VisionTokens > 0, $"{method} learns no vision tokens, so their number cannot be set");
            Require(v >= 1, $"the number of vision tokens must be at least 1 (got {v})");
            prompts = prompts with { VisionTokens = v };
        }
        if (depth is { } d)
        {
            Require(IsDeep, prompts.Method == PromptMethod.ZeroShot
                ? "zero-shot CLIP learns no prompts, so it has no prompt depth"
                : $"{method} prompts the input only, so its prompt depth cannot be set (deep-language and ivlp learn deep prompts)");
            Require(d >= 1, $"the prompt depth must be at least 1 (got {d})");
            prompts = prompts with { TextDepth = prompts.TextTokens > 0 ? d : 0, VisionDepth = prompts.VisionTokens > 0 ? d : 0 };
        }
        if (ctxInit is not null)
        {
            Require(prompts.TextTokens > 0, $"{method} learns no text tokens (its prompt is \"{PromptConfig.FixedTemplate}\"), so it has no context init words");
            prompts = prompts with { CtxInit = ctxInit };
        }
        if (prompts.Method is PromptMethod.CoOp or PromptMethod.CoCoOp && PromptLearners.WordCount(prompts.CtxInit) is var words and > 0)
        {
            // As in the authors' code, CoOp and CoCoOp learn one context token per init word.
            Require(nCtx is null || nCtx == words,
                $"{method} learns one context token per init word: \"{prompts.CtxInit}\" gives {words}, not {nCtx} (set the init words to \"\" for random tokens)");
            prompts = prompts with { TextTokens = words };
        }
        if (epochs is { } e)
            Require(e >= 1, $"the number of epochs must be at least 1 (got {e})");
        prompts.ValidateMethod(Name);
        var options = epochs is { } epochCount ? Options with { Epochs = epochCount } : Options;
        return this with { Prompts = prompts, Options = options };
    }

    /// <summary>
    /// Checks that the prompts fit a backbone of <paramref name="clip"/>'s dimensions. A prompt depth beyond its
    /// layers (the presets follow the paper's 12-layer ViT-B/16) is refused as the setting <c>Depth</c>, the one
    /// <see cref="Adapt"/> takes, naming the layer count.
    /// </summary>
    /// <exception cref="InvalidSettingException">The depth exceeds the backbone's layers.</exception>
    /// <exception cref="UserInputException">Another setting the backbone cannot hold.</exception>
    public void CheckFits(ClipConfig clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var depth = Math.Max(Prompts.TextDepth, Prompts.VisionDepth);
        var limit = Math.Min(Prompts.TextDepth > 0 ? clip.Text.Layers : int.MaxValue, Prompts.VisionDepth > 0 ? clip.Vision.Layers : int.MaxValue);
        if (depth > limit)
        {
            var presetDepth = All.TryGetValue(Name, out var preset) ? Math.Max(preset.Prompts.TextDepth, preset.Prompts.VisionDepth) : 0;
            var why = presetDepth == depth ? $"; {Name}'s depth {depth} is the paper's, for ViT-B/16's 12 layers" : "";
            throw new InvalidSettingException("Depth",
                $"must be at most {limit} for this backbone (its encoders have {clip.Text.Layers} text and {clip.Vision.Layers} vision layers){why}", depth);
        }
        Prompts.Validate(clip, Name);
    }

    /// <summary>Whether the preset inserts prompts beyond the input layer (its depth is a setting of the method).</summary>
    public bool IsDeep => Prompts.TextDepth > 1 || Prompts.VisionDepth > 1;

    void Require(bool ok, string what)
    {
        if (!ok)
            throw new UserInputException($"{Name}: {what}");
    }

    static TrainingOptions Recipe(int batch, double lr, int epochs) =>
        new() { BatchSize = batch, LearningRate = lr, Epochs = epochs };
}
