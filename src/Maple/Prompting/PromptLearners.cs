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

    /// <summary>A learner of exactly <paramref name="config"/>'s shape, to be filled from a checkpoint.</summary>
    public static PromptLearner Restore(PromptConfig config, ClipModel clip, ClipTokenizer tokenizer, long seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        return config.Method switch
        {
            PromptMethod.Maple => new MapleLearner(config, clip, tokenizer, generator),
            PromptMethod.CoCoOp => new CoCoOpLearner(config, clip, tokenizer, generator),
            _ => new IndependentLearner(config, clip, tokenizer, generator),
        };
    }

    /// <summary>Words in ctx_init, with underscores as spaces.</summary>
    public static int WordCount(string ctxInit) =>
        ctxInit.Replace('_', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}
