using TorchSharp;
using Maple.Clip;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>Creates the learner of a method.</summary>
public static class PromptLearners
{
    /// <summary>
    /// A freshly initialised learner, its random draws seeded by <paramref name="seed"/>. CoOp and CoCoOp
    /// size their context by the init words when given (as the authors do), which the returned learner's
    /// <see cref="PromptLearner.Config"/> reflects.
    /// </summary>
    public static PromptLearner Create(PromptConfig config, ClipModel clip, ClipTokenizer tokenizer, long seed)
    {
        if (config.Method is PromptMethod.CoOp or PromptMethod.CoCoOp && WordCount(config.CtxInit) > 0)
            config = config with { TextTokens = WordCount(config.CtxInit) };
        return Restore(config, clip, tokenizer, seed);
    }

    /// <summary>
    /// A learner of exactly <paramref name="config"/>'s shape, to be filled from a checkpoint, on <paramref name="clip"/>'s
    /// device. Random values are drawn on the CPU, so a seed gives the same prompts on every device.
    /// </summary>
    public static PromptLearner Restore(PromptConfig config, ClipModel clip, ClipTokenizer tokenizer, long seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        PromptLearner learner = config.Method switch
        {
            PromptMethod.Maple => new MapleLearner(config, clip, tokenizer, generator),
            PromptMethod.CoCoOp => new CoCoOpLearner(config, clip, tokenizer, generator),
            PromptMethod.Mmrl => new MmrlLearner(config, clip, generator),
            _ => new DirectPromptLearner(config, clip, tokenizer, generator),
        };
        return learner.to(clip.Device);
    }

    /// <summary>
    /// The name and shape of every tensor a learner of <paramref name="config"/> on a backbone of
    /// <paramref name="clip"/>'s dimensions holds, computed without allocating any: what a prompt file must hold
    /// to fill it. <paramref name="config"/> must be valid for <paramref name="clip"/> (<see cref="PromptConfig.Validate"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> ParameterShapes(PromptConfig config, ClipConfig clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        return ParameterShapes(config, clip.Text.Width, clip.Vision.Width, clip.EmbedDim);
    }

    /// <summary>As <see cref="ParameterShapes(PromptConfig, ClipConfig)"/>, for a backbone known only by its widths.</summary>
    internal static Dictionary<string, long[]> ParameterShapes(PromptConfig config, long textWidth, long visionWidth, long embedDim)
    {
        ArgumentNullException.ThrowIfNull(config);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        switch (config.Method)
        {
            case PromptMethod.Maple:
                shapes["prompt_learner.ctx"] = [config.TextTokens, textWidth];
                shapes["prompt_learner.proj.weight"] = [visionWidth, textWidth];
                shapes["prompt_learner.proj.bias"] = [visionWidth];
                for (var i = 0; i < config.TextDepth - 1; i++)
                {
                    shapes[$"prompt_learner.compound_prompts_text.{i}"] = [config.TextTokens, textWidth];
                    shapes[$"prompt_learner.compound_prompt_projections.{i}.weight"] = [visionWidth, textWidth];
                    shapes[$"prompt_learner.compound_prompt_projections.{i}.bias"] = [visionWidth];
                }
                break;
            case PromptMethod.Mmrl:
                shapes["representation_learner.compound_rep_tokens"] = [config.TextTokens, config.RepresentationDim];
                for (var i = 0; i < config.TextDepth; i++)
                {
                    shapes[$"representation_learner.compound_rep_tokens_r2vproj.{i}.weight"] = [visionWidth, config.RepresentationDim];
                    shapes[$"representation_learner.compound_rep_tokens_r2vproj.{i}.bias"] = [visionWidth];
                }
                for (var i = 0; i < config.TextDepth; i++)
                {
                    shapes[$"representation_learner.compound_rep_tokens_r2tproj.{i}.weight"] = [textWidth, config.RepresentationDim];
                    shapes[$"representation_learner.compound_rep_tokens_r2tproj.{i}.bias"] = [textWidth];
                }
                shapes["image_encoder.proj_rep"] = [visionWidth, embedDim];
                break;
            case PromptMethod.CoCoOp:
                // The meta-network is Linear(embed, embed / 16) → ReLU → Linear(embed / 16, text width).
                var hidden = Math.Max(1, embedDim / 16);
                shapes["prompt_learner.ctx"] = [config.TextTokens, textWidth];
                shapes["prompt_learner.meta_net.linear1.weight"] = [hidden, embedDim];
                shapes["prompt_learner.meta_net.linear1.bias"] = [hidden];
                shapes["prompt_learner.meta_net.linear2.weight"] = [textWidth, hidden];
                shapes["prompt_learner.meta_net.linear2.bias"] = [textWidth];
                break;
            default:
                if (config.TextTokens > 0)
                {
                    shapes["prompt_learner.ctx"] = [config.TextTokens, textWidth];
                    for (var layer = 1; layer < config.TextDepth; layer++)
                        shapes[$"text_encoder.transformer.resblocks.{layer}.VPT_shallow"] = [config.TextTokens, textWidth];
                }
                if (config.VisionTokens > 0)
                {
                    shapes["image_encoder.VPT"] = [config.VisionTokens, visionWidth];
                    for (var layer = 1; layer < config.VisionDepth; layer++)
                        shapes[$"image_encoder.transformer.resblocks.{layer}.VPT_shallow"] = [config.VisionTokens, visionWidth];
                }
                break;
        }
        return shapes;
    }

    /// <summary>
    /// Checks, before any learner is built, that <paramref name="config"/> fits <paramref name="clip"/> and that
    /// <paramref name="shapes"/> (a prompt file's tensor names and shapes) are exactly the tensors of its learner.
    /// </summary>
    /// <param name="config">The prompts' method and sizes (e.g. from a file's metadata).</param>
    /// <param name="clip">The backbone's dimensions.</param>
    /// <param name="shapes">The tensors on offer, by name.</param>
    /// <param name="source">The file, named in the message.</param>
    /// <exception cref="InvalidDataException">The config does not fit the backbone, or names or shapes differ.</exception>
    public static void CheckShapes(PromptConfig config, ClipConfig clip, IReadOnlyDictionary<string, long[]> shapes, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(shapes);
        try
        {
            config.Validate(clip, $"{source}: the prompts do not fit this backbone");
        }
        catch (UserInputException ex)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
        var expected = ParameterShapes(config, clip);
        var missing = expected.Keys.Where(n => !shapes.ContainsKey(n)).ToList();
        var unexpected = shapes.Keys.Where(n => !expected.ContainsKey(n)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException(
                $"{source}: does not fit {Name(config)} prompts (n_ctx {config.TextTokens}/{config.VisionTokens}, depth {config.TextDepth}/{config.VisionDepth})"
                + (missing.Count > 0 ? $"; missing: {Listed(missing)}" : "")
                + (unexpected.Count > 0 ? $"; unexpected: {Listed(unexpected)}" : ""));
        foreach (var (name, shape) in expected)
        {
            if (!shapes[name].SequenceEqual(shape))
                throw new InvalidDataException(
                    $"{source}: '{name}' has shape {Shape(shapes[name])}, expected {Shape(shape)} (a file for another backbone width or token count?)");
        }
    }

    static string Name(PromptConfig config) => PromptMethods.Name(config.Method);

    static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    // A hostile file may hold thousands of names; the message stays one readable line.
    static string Listed(List<string> names) =>
        string.Join(", ", names.Take(8)) + (names.Count > 8 ? $" and {names.Count - 8} more" : "");

    /// <summary>Words in ctx_init, with underscores as spaces.</summary>
    public static int WordCount(string ctxInit) =>
        ctxInit.Replace('_', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}
