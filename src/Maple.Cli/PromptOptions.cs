using System.CommandLine;
using Maple.Clip;
using Maple.Prompting;
using Maple.Training;

namespace Maple.Cli;

/// <summary>Options that choose learned prompts for evaluation and prediction.</summary>
static class PromptOptions
{
    public static Option<string?> Prompts() => new("--prompts", "-p")
    {
        Description = "learned prompts: a training run's folder (its prompt.safetensors), a prompts file, a checkpoint or an imported file; omit for zero-shot CLIP",
        HelpName = "run|file",
    };

    /// <summary>The prompts file <c>--prompts</c> names: itself, or a run folder's final prompts.</summary>
    /// <exception cref="UserInputException">A folder without the file.</exception>
    public static string? ResolvePath(string? path)
    {
        if (path is null || !Directory.Exists(path))
            return path;
        var file = Path.Combine(path, Trainer.FinalPromptsFileName);
        if (File.Exists(file))
            return file;
        throw new UserInputException(TrainingCheckpoint.Latest(path) is { } latest
            ? $"--prompts {path}: the run has not finished (no {Trainer.FinalPromptsFileName}); give its latest checkpoint, {latest.Path}, or resume it"
            : $"--prompts {path} is a folder without {Trainer.FinalPromptsFileName}: give a finished training run's folder or a prompts file");
    }

    public static Option<string> CtxInit() => new("--ctx-init")
    {
        Description = "init words of a prompts file that has no metadata",
        DefaultValueFactory = _ => "a photo of a",
        HelpName = "words",
    };

    /// <summary><c>--template</c>: zero-shot CLIP's prompt, repeatable to ensemble; <paramref name="defaultText"/> says what applies without it.</summary>
    public static Option<string[]> Template(string defaultText) => new("--template", "-t")
    {
        Description = $"zero-shot CLIP: a prompt template with {{}} for the class name (repeat to ensemble); default: {defaultText}",
    };

    /// <summary><c>--templates</c>: a named set of templates or a file of them, repeatable; ensembled with any <c>--template</c>.</summary>
    public static Option<string[]> Templates() => new("--templates")
    {
        Description = $"zero-shot CLIP: a template set to ensemble, \"{PromptTemplates.ImageNetName}\" (CLIP's 80 ImageNet templates), " +
            $"\"{PromptTemplates.ImageNetSelectName}\" (CoOp's 7) or a file with one template per line",
    };

    /// <summary>The sets of <c>--templates</c> first, then each <c>--template</c>; null when neither is given.</summary>
    public static IReadOnlyList<string>? ResolveTemplates(ParseResult parse, Option<string[]> template, Option<string[]> templates)
    {
        var result = new List<string>();
        foreach (var set in parse.GetValue(templates) ?? [])
            result.AddRange(PromptTemplates.Resolve(set));
        foreach (var single in parse.GetValue(template) ?? [])
        {
            try
            {
                PromptTemplates.Validate(single);
            }
            catch (UserInputException e)
            {
                throw new UserInputException($"--template: {e.Message}", e);
            }
            result.Add(single);
        }
        return result.Count > 0 ? result : null;
    }

    /// <summary><c>--mmrl-logits</c>: which of MMRL's logits classify.</summary>
    public static Option<string> MmrlLogits() => new("--mmrl-logits")
    {
        Description = "MMRL prompts: fused (classes it was trained on), class-token (new classes), representation, or auto: " +
            "fused when every class scored was a training class, else class-token (the authors' base/novel choice)",
        DefaultValueFactory = _ => "auto",
    };

    static readonly Dictionary<string, MmrlReadout> MmrlReadouts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fused"] = MmrlReadout.Fused,
        ["class-token"] = MmrlReadout.ClassToken,
        ["representation"] = MmrlReadout.Representation,
    };

    /// <summary>The readout <c>--mmrl-logits</c> names; null for <c>auto</c>, the authors' choice by the classes scored.</summary>
    public static MmrlReadout? ParseMmrlLogits(string choice)
    {
        var name = choice.Trim();
        if (name.Equals("auto", StringComparison.OrdinalIgnoreCase))
            return null;
        return MmrlReadouts.TryGetValue(name, out var readout)
            ? readout
            : throw new UserInputException($"--mmrl-logits must be auto, fused, class-token or representation, not '{choice}'");
    }

    /// <summary>The <c>--mmrl-logits</c> word of <paramref name="readout"/>.</summary>
    public static string MmrlLogitsName(MmrlReadout readout) => MmrlReadouts.First(r => r.Value == readout).Key;

    /// <summary>
    /// The readout <c>--mmrl-logits</c> names; <c>auto</c> compares the classes scored with those the prompts file
    /// records as trained (<see cref="MmrlOutputs.ReadoutFor"/>; class-token when it records none).
    /// </summary>
    public static MmrlReadout ResolveMmrlLogits(string choice, string? promptsPath, IReadOnlyList<string> scoredClasses)
    {
        if (ParseMmrlLogits(choice) is { } readout)
            return readout;
        if (promptsPath is null)
            return MmrlReadout.Fused;
        using var checkpoint = PromptCheckpoint.Read(promptsPath);
        return MmrlOutputs.ReadoutFor(checkpoint.ClassNames, scoredClasses);
    }

    /// <summary>The learner of <paramref name="promptsPath"/>, or zero-shot CLIP when it is null.</summary>
    public static PromptLearner Load(string? promptsPath, string ctxInit, PretrainedClip clip)
    {
        promptsPath = ResolvePath(promptsPath);
        if (promptsPath is null)
            return PromptLearners.Create(PromptConfig.ZeroShot(), clip.Model, clip.Tokenizer, seed: 0);
        using var checkpoint = PromptCheckpoint.Read(promptsPath, ctxInit);
        return checkpoint.CreateLearner(clip.Model, clip.Tokenizer);
    }
}
