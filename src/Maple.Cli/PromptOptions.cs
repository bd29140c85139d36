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

    /// <summary><c>--classes</c>: a file of class names, one per line.</summary>
    public static Option<string?> ClassesFile() => new("--classes")
    {
        Description = "class names, one per line (default: the classes the prompts were trained on)",
    };

    /// <summary><c>--class</c>: class names one by one.</summary>
    public static Option<string[]> ClassNames() => new("--class")
    {
        Description = "a class name (repeat for several)",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Option<string> CtxInit() => new("--ctx-init")
    {
        Description = "init words of a prompts file that has no metadata (default \"a photo of a\")",
        DefaultValueFactory = _ => "a photo of a",
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

    /// <summary>
    /// <see cref="ResolveTemplates"/>, refused when <paramref name="promptsPath"/> names learned prompts (they word the
    /// classes as they were trained).
    /// </summary>
    public static IReadOnlyList<string>? ResolveZeroShotTemplates(ParseResult parse, Option<string[]> template, Option<string[]> templates, string? promptsPath)
    {
        var resolved = ResolveTemplates(parse, template, templates);
        if (resolved is not null && promptsPath is not null)
            throw new UserInputException("--template and --templates word zero-shot CLIP's prompts; learned prompts (--prompts) word the classes as they were trained");
        return resolved;
    }

    /// <summary>The learner of <paramref name="promptsPath"/>, or zero-shot CLIP when it is null.</summary>
    public static PromptLearner Load(string? promptsPath, string ctxInit, PretrainedClip clip)
    {
        if (promptsPath is null)
            return PromptLearners.Create(PromptConfig.ZeroShot(), clip.Model, clip.Tokenizer, seed: 0);
        using var checkpoint = PromptCheckpoint.Read(promptsPath, ctxInit);
        return checkpoint.CreateLearner(clip.Model, clip.Tokenizer);
    }
}
