namespace Maple.Prompting;

/// <summary>The prompt-learning methods of the MaPLe paper's comparison.</summary>
public enum PromptMethod
{
    /// <summary>Plain CLIP with hand-written prompts (a benchmark's own template, else "a photo of a {class}."): nothing learned.</summary>
    ZeroShot,

    /// <summary>CoOp: learned context tokens at the text input only.</summary>
    CoOp,

    /// <summary>CoCoOp: CoOp's context shifted per image by a small meta-network of the image feature.</summary>
    CoCoOp,

    /// <summary>Deep language prompting: learned text tokens at the input and in the first layers.</summary>
    DeepLanguage,

    /// <summary>VPT-deep: learned vision tokens at the input and in the first layers; fixed text.</summary>
    VptDeep,

    /// <summary>Independent vision-language prompting: deep text and vision prompts, uncoupled.</summary>
    Ivlp,

    /// <summary>MaPLe: deep text prompts, and vision prompts produced from them by coupling functions.</summary>
    Maple,

    /// <summary>
    /// MMRL: shared representation tokens, projected into the last layers of both encoders, with their own
    /// trainable image projection; hand-written text (Guo and Gu, CVPR 2025).
    /// </summary>
    Mmrl,

    /// <summary>
    /// PromptSRC: IVLP's independent text and vision prompts, trained with self-regularising terms against frozen
    /// CLIP and aggregated over the epochs (the training side is <see cref="Training.SelfRegularizer"/> and
    /// <see cref="Training.GaussianPromptAggregation"/>); at inference it is IVLP.
    /// </summary>
    PromptSrc,
}

/// <summary>Names of the methods on the command line and in checkpoints.</summary>
public static class PromptMethods
{
    static readonly Dictionary<string, PromptMethod> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zeroshot"] = PromptMethod.ZeroShot,
        ["coop"] = PromptMethod.CoOp,
        ["cocoop"] = PromptMethod.CoCoOp,
        ["deep-language"] = PromptMethod.DeepLanguage,
        ["vpt-deep"] = PromptMethod.VptDeep,
        ["ivlp"] = PromptMethod.Ivlp,
        ["maple"] = PromptMethod.Maple,
        ["mmrl"] = PromptMethod.Mmrl,
        ["promptsrc"] = PromptMethod.PromptSrc,
    };

    /// <summary>The command-line name, e.g. <c>deep-language</c>.</summary>
    public static string Name(PromptMethod method) => ByName.First(p => p.Value == method).Key;

    /// <summary>Parses a command-line name.</summary>
    public static PromptMethod Parse(string name) => ByName.TryGetValue(name.Trim(), out var method)
        ? method
        : throw new UserInputException($"unknown method '{name}': expected one of {string.Join(", ", ByName.Keys)}");

    /// <summary>All command-line names.</summary>
    public static IEnumerable<string> Names => ByName.Keys;
}
