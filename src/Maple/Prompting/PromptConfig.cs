namespace Maple.Prompting;

/// <summary>Where a method's prompt tokens go and how they start.</summary>
/// <param name="Method">The method.</param>
/// <param name="TextTokens">Learned text tokens (n_ctx); 0 for a fixed text prompt.</param>
/// <param name="VisionTokens">Learned (or, for MaPLe, coupled) vision tokens; 0 for none.</param>
/// <param name="TextDepth">Text layers that receive new tokens (1 = input only).</param>
/// <param name="VisionDepth">Vision layers that receive new tokens.</param>
/// <param name="CtxInit">Words that initialise the text context ("" = random), as in the authors' configs.</param>
public sealed record PromptConfig(
    PromptMethod Method, int TextTokens, int VisionTokens, int TextDepth, int VisionDepth, string CtxInit)
{
    /// <summary>The prompt used where the text is not learned.</summary>
    public const string FixedTemplate = PromptTemplates.Default;

    /// <summary>MaPLe: n_ctx tokens in both branches, coupled, through the first <paramref name="depth"/> layers.</summary>
    public static PromptConfig Maple(int nCtx = 2, int depth = 9, string ctxInit = "a photo of a") =>
        new(PromptMethod.Maple, nCtx, nCtx, depth, depth, ctxInit);

    /// <summary>CoOp: text input tokens only.</summary>
    public static PromptConfig CoOp(int nCtx = 16, string ctxInit = "") => new(PromptMethod.CoOp, nCtx, 0, 1, 0, ctxInit);

    /// <summary>CoCoOp: CoOp's tokens plus the image-conditioned meta-network.</summary>
    public static PromptConfig CoCoOp(int nCtx = 4, string ctxInit = "a photo of a") => new(PromptMethod.CoCoOp, nCtx, 0, 1, 0, ctxInit);

    /// <summary>Deep language prompting.</summary>
    public static PromptConfig DeepLanguage(int nCtx = 4, int depth = 12, string ctxInit = "a photo of a") =>
        new(PromptMethod.DeepLanguage, nCtx, 0, depth, 0, ctxInit);

    /// <summary>VPT-deep: vision tokens only.</summary>
    public static PromptConfig VptDeep(int nCtx = 8, int depth = 12) => new(PromptMethod.VptDeep, 0, nCtx, 0, depth, "");

    /// <summary>Independent vision-language prompting.</summary>
    public static PromptConfig Ivlp(int textTokens = 2, int visionTokens = 2, int textDepth = 12, int visionDepth = 12, string ctxInit = "a photo of a") =>
        new(PromptMethod.Ivlp, textTokens, visionTokens, textDepth, visionDepth, ctxInit);

    /// <summary>
    /// MMRL: <paramref name="tokens"/> representation tokens of width <paramref name="representationDim"/>, projected
    /// into the last <paramref name="depth"/> layers of each encoder (the authors' REP_LAYERS 6–12 of ViT-B/16 are the
    /// last 7), fused logits weighting the class token's by <paramref name="alpha"/>; the text is
    /// <paramref name="template"/>.
    /// </summary>
    public static PromptConfig Mmrl(int tokens = 5, int depth = 7, int representationDim = 512, double alpha = 0.7, string template = FixedTemplate) =>
        new(PromptMethod.Mmrl, tokens, tokens, depth, depth, "")
        {
            RepresentationDim = representationDim,
            ClassTokenWeight = alpha,
            TextTemplate = template,
        };

    /// <summary>MMRL: the width of the shared representation tokens before their per-layer projections (REP_DIM); 0 for other methods.</summary>
    public int RepresentationDim { get; init; }

    /// <summary>MMRL: α, the class-token logits' weight in the fused logits and in the loss (ALPHA); 0 for other methods.</summary>
    public double ClassTokenWeight { get; init; }

    /// <summary>MMRL: the hand-written text prompt, with <c>{}</c> for the class name; null for other methods.</summary>
    public string? TextTemplate { get; init; }
    /// <summary>PromptSRC: IVLP-shaped prompts (its configs: 4 + 4 tokens, depth 9 in both branches, "a photo of a").</summary>
    public static PromptConfig PromptSrc(int textTokens = 4, int visionTokens = 4, int depth = 9, string ctxInit = "a photo of a") =>
        new(PromptMethod.PromptSrc, textTokens, visionTokens, depth, depth, ctxInit);

    /// <summary>Plain CLIP.</summary>
    public static PromptConfig ZeroShot() => new(PromptMethod.ZeroShot, 0, 0, 0, 0, "");

    /// <summary>Checks the settings against a backbone's depth; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="UserInputException">A setting the method does not allow or the backbone cannot hold.</exception>
    public void Validate(Clip.ClipConfig clip, string source)
    {
        ValidateMethod(source);
        Check(TextDepth <= clip.Text.Layers, source, $"text prompt depth {TextDepth} is outside 0..{clip.Text.Layers} (the text encoder's layers)");
        Check(VisionDepth <= clip.Vision.Layers, source, $"vision prompt depth {VisionDepth} is outside 0..{clip.Vision.Layers} (the image encoder's layers)");
        Check(1 + TextTokens < clip.Text.ContextLength, source, $"{TextTokens} text tokens do not fit the context of {clip.Text.ContextLength}");
        // MMRL's tokens enter the last layers and come on top of the prompt: they must leave a layer before them.
        Check(Method != PromptMethod.Mmrl || (TextDepth < clip.Text.Layers && VisionDepth < clip.Vision.Layers), source,
            $"MMRL's tokens enter the last {TextDepth} layers, which must leave at least one layer before them (the encoders have {clip.Text.Layers} and {clip.Vision.Layers})");
    }

    /// <summary>
    /// Checks what the method itself allows, whatever the backbone: CoOp and CoCoOp learn text tokens at the
    /// input only, deep language prompting learns no vision tokens, VPT-deep no text tokens, IVLP and MaPLe
    /// learn both (MaPLe's coupled), zero-shot CLIP none. <paramref name="source"/> names the settings in errors.
    /// </summary>
    /// <exception cref="UserInputException">The first setting the method does not allow, named.</exception>
    public void ValidateMethod(string source)
    {
        Check(TextTokens >= 0 && VisionTokens >= 0, source, "token counts must not be negative");
        Check(TextDepth >= 0 && VisionDepth >= 0, source, "prompt depths must not be negative");
        Check(TextTokens == 0 || TextDepth >= 1, source, "text tokens need a text prompt depth of at least 1");
        Check(VisionTokens == 0 || VisionDepth >= 1, source, "vision tokens need a vision prompt depth of at least 1");
        var (text, vision) = (TextTokens > 0 || TextDepth > 0, VisionTokens > 0 || VisionDepth > 0);
        switch (Method)
        {
            case PromptMethod.ZeroShot:
                Check(!text && !vision, source, "zero-shot CLIP learns no prompts: text and vision tokens and depths must be 0");
                break;
            case PromptMethod.CoOp or PromptMethod.CoCoOp:
                var name = Method == PromptMethod.CoOp ? "CoOp" : "CoCoOp";
                Check(TextTokens >= 1, source, $"{name} learns text tokens: their number must be at least 1");
                Check(TextDepth == 1, source, $"{name} prompts the text input only: its prompt depth must be 1 (got {TextDepth}; deep-language or ivlp learn deeper prompts)");
                Check(!vision, source, $"{name} learns no vision prompts: vision tokens and depth must be 0 (ivlp learns both)");
                break;
            case PromptMethod.DeepLanguage:
                Check(TextTokens >= 1, source, "deep language prompting learns text tokens: their number must be at least 1");
                Check(!vision, source, "deep language prompting learns no vision prompts: vision tokens and depth must be 0 (ivlp learns both)");
                break;
            case PromptMethod.VptDeep:
                Check(!text, source, "VPT-deep learns no text prompts (its text is \"a photo of a {class}.\"): text tokens and depth must be 0 (ivlp learns both)");
                Check(VisionTokens >= 1, source, "VPT-deep learns vision tokens: their number must be at least 1");
                break;
            case PromptMethod.Ivlp:
                Check(TextTokens >= 1 && VisionTokens >= 1, source,
                    "IVLP learns text and vision tokens: both numbers must be at least 1 (deep-language learns text only, vpt-deep vision only)");
                break;
            case PromptMethod.PromptSrc:
                Check(TextTokens >= 1 && VisionTokens >= 1, source,
                    "PromptSRC learns text and vision tokens (IVLP's): both numbers must be at least 1");
                break;
            case PromptMethod.Maple:
                Check(TextTokens == VisionTokens && TextDepth == VisionDepth && TextTokens > 0 && TextDepth >= 1, source,
                    "MaPLe couples every text prompt to a vision prompt: equal token counts and depths, at least 1");
                break;
            case PromptMethod.Mmrl:
                Check(TextTokens == VisionTokens && TextDepth == VisionDepth && TextTokens > 0 && TextDepth >= 1, source,
                    "MMRL shares its representation tokens between the encoders: equal token counts and depths, at least 1");
                Check(RepresentationDim >= 1, source, "MMRL's representation width must be at least 1");
                Check(ClassTokenWeight is >= 0 and <= 1, source, "MMRL's class-token weight (alpha) must be between 0 and 1");
                Check(TextTemplate is not null && TextTemplate.Contains(PromptTemplates.Placeholder, StringComparison.Ordinal), source,
                    "MMRL's text template must contain {} for the class name");
                break;
        }
    }

    static void Check(bool ok, string source, string what)
    {
        if (!ok)
            throw new UserInputException($"{source}: {what}");
    }
}
