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

    /// <summary>Plain CLIP.</summary>
    public static PromptConfig ZeroShot() => new(PromptMethod.ZeroShot, 0, 0, 0, 0, "");

    /// <summary>Checks the settings against a backbone's depth; <paramref name="source"/> names them in errors.</summary>
    public void Validate(Clip.ClipConfig clip, string source)
    {
        void Check(bool ok, string what)
        {
            if (!ok)
                throw new ArgumentException($"{source}: {what}");
        }

        Check(TextTokens >= 0 && VisionTokens >= 0, "token counts must not be negative");
        Check(TextDepth >= 0 && TextDepth <= clip.Text.Layers, $"text prompt depth {TextDepth} is outside 0..{clip.Text.Layers} (the text encoder's layers)");
        Check(VisionDepth >= 0 && VisionDepth <= clip.Vision.Layers, $"vision prompt depth {VisionDepth} is outside 0..{clip.Vision.Layers} (the image encoder's layers)");
        Check(TextTokens == 0 || TextDepth >= 1, "text tokens need a text depth of at least 1");
        Check(VisionTokens == 0 || VisionDepth >= 1, "vision tokens need a vision depth of at least 1");
        Check(Method != PromptMethod.Maple || (TextTokens == VisionTokens && TextDepth == VisionDepth && TextTokens > 0 && TextDepth >= 1),
            "MaPLe couples every text prompt to a vision prompt: equal token counts and depths, at least 1");
        Check(1 + TextTokens < clip.Text.ContextLength, $"{TextTokens} text tokens do not fit the context of {clip.Text.ContextLength}");
    }
}
