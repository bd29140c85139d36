using System.CommandLine;
using Maple.Clip;
using Maple.Prompting;

namespace Maple.Cli;

/// <summary>Options that choose learned prompts for evaluation and prediction.</summary>
static class PromptOptions
{
    public static Option<string?> Prompts() => new("--prompts", "-p")
    {
        Description = "learned prompts (prompt.safetensors, a checkpoint, or an imported file); omit for zero-shot CLIP",
    };

    public static Option<string> CtxInit() => new("--ctx-init")
    {
        Description = "init words of a prompts file that has no metadata (default \"a photo of a\")",
        DefaultValueFactory = _ => "a photo of a",
    };

    /// <summary>The learner of <paramref name="promptsPath"/>, or zero-shot CLIP when it is null.</summary>
    public static PromptLearner Load(string? promptsPath, string ctxInit, PretrainedClip clip)
    {
        if (promptsPath is null)
            return PromptLearners.Create(PromptConfig.ZeroShot(), clip.Model, clip.Tokenizer, seed: 0);
        using var checkpoint = PromptCheckpoint.Read(promptsPath, ctxInit);
        return checkpoint.CreateLearner(clip.Model, clip.Tokenizer);
    }
}
