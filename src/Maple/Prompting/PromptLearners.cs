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
        using var generator = new Generator((ulong)seed);
        if (config.Method is PromptMethod.CoOp or PromptMethod.CoCoOp && config.CtxInit.Trim().Length > 0)
            config = config with { TextTokens = config.CtxInit.Replace('_', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries).Length };
        return config.Method switch
        {
            PromptMethod.Maple => new MapleLearner(config, clip, tokenizer, generator),
            PromptMethod.CoCoOp => new CoCoOpLearner(config, clip, tokenizer, generator),
            _ => new IndependentLearner(config, clip, tokenizer, generator),
        };
    }
}
