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
            throw new UserInputException($"unknown preset '{name}': expected one of {string.Join(", ", All.Keys)}");
        if (preset.Name == "coop" && shots is { } k)
            preset = preset with { Options = preset.Options with { Epochs = k <= 2 ? 50 : k <= 8 ? 100 : 200 } };
        return preset;
    }

    /// <summary>
    /// This preset with some settings replaced, e.g. to fit a backbone with fewer layers than the paper's
    /// ViT-B/16 or for a quick look; null keeps the preset's value. <paramref name="depth"/> replaces the prompt
    /// depth of the deep presets only (maple, maple-transfer, ivlp, deep-language, vpt-deep): CoOp and CoCoOp
    /// prompt the input by definition and zero-shot CLIP has no prompts. <paramref name="nCtx"/> replaces the
    /// number of learned text tokens (and MaPLe's coupled vision tokens); VPT-deep, without text tokens, keeps
    /// its own. <paramref name="epochs"/> replaces the epochs.
    /// </summary>
    public MethodPreset Adapt(int? nCtx = null, int? depth = null, int? epochs = null)
    {
        var prompts = Prompts;
        if (nCtx is { } n && prompts.TextTokens > 0)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(nCtx));
            prompts = prompts.Method == PromptMethod.Maple ? prompts with { TextTokens = n, VisionTokens = n } : prompts with { TextTokens = n };
        }
        if (depth is { } d && IsDeep)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(d, 1, nameof(depth));
            prompts = prompts with { TextDepth = prompts.TextTokens > 0 ? d : 0, VisionDepth = prompts.VisionTokens > 0 ? d : 0 };
        }
        var options = epochs is { } e ? Options with { Epochs = e } : Options;
        return this with { Prompts = prompts, Options = options };
    }

    /// <summary>Whether the preset inserts prompts beyond the input layer (its depth is a setting of the method).</summary>
    public bool IsDeep => Prompts.TextDepth > 1 || Prompts.VisionDepth > 1;

    static TrainingOptions Recipe(int batch, double lr, int epochs) =>
        new() { BatchSize = batch, LearningRate = lr, Epochs = epochs };
}
