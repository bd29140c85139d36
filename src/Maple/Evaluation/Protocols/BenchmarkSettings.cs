using Maple.Training;

namespace Maple.Evaluation.Protocols;

/// <summary>What a benchmark runs and where it writes.</summary>
/// <param name="DataRoot">The folder holding the datasets in the CoOp/Dassl layouts.</param>
/// <param name="Datasets">Datasets to score (protocol-specific defaults when empty).</param>
/// <param name="Methods">Method presets to compare.</param>
/// <param name="Seeds">Seeds of the shots and the training.</param>
/// <param name="Output">Where cells, tables and plots go (a benchmark resumes from it).</param>
public sealed record BenchmarkSettings(string DataRoot, IReadOnlyList<string> Datasets, IReadOnlyList<string> Methods, IReadOnlyList<int> Seeds, string Output)
{
    /// <summary>Training images per class (base-to-novel, cross-dataset and domain generalisation use 16).</summary>
    public int Shots { get; init; } = 16;

    /// <summary>Images per evaluation forward pass (image-conditioned methods such as CoCoOp always use 1).</summary>
    public int EvalBatchSize { get; init; } = 32;

    /// <summary>Threads decoding images.</summary>
    public int LoaderThreads { get; init; } = 1;

    /// <summary>Overrides the presets' epochs (e.g. for a quick look); null keeps the paper's recipe.</summary>
    public int? Epochs { get; init; }

    /// <summary>
    /// Overrides the prompt depth of every deep preset (maple, maple-transfer, ivlp, deep-language, vpt-deep),
    /// e.g. to fit a backbone with fewer layers than the 12 of ViT-B/16; null keeps the paper's depths (9 for
    /// MaPLe, 3 for its transfer preset, 12 for the others). The reports say when it is set.
    /// </summary>
    public int? Depth { get; init; }

    /// <summary>Overrides the number of learned text tokens of every preset that has them (MaPLe's vision tokens follow); null keeps the presets'.</summary>
    public int? NCtx { get; init; }

    /// <summary>
    /// The templates zero-shot CLIP words every dataset's classes with (several are ensembled); null for each
    /// benchmark's own template (<see cref="Prompting.PromptTemplates.ForBenchmark"/>, as the papers' zero-shot CLIP)
    /// and "a photo of a {}." for other data.
    /// </summary>
    public IReadOnlyList<string>? ZeroShotTemplates { get; init; }

    /// <summary>
    /// The preset <paramref name="protocol"/> trains <paramref name="method"/> with for <paramref name="shots"/> on
    /// <paramref name="dataset"/> (<see cref="MethodPreset.Get"/>: the protocol's variant and the benchmark's own
    /// settings), with this benchmark's overrides applied.
    /// </summary>
    /// <remarks>One depth and one token count serve a whole comparison, so each applies to the presets that have that setting.</remarks>
    /// <param name="method">The method's preset name.</param>
    /// <param name="shots">The training images per class.</param>
    /// <param name="protocol">What the protocol trains; null for the preset as named.</param>
    /// <param name="dataset">The training data's name, when known.</param>
    public MethodPreset Preset(string method, int shots, TrainingProtocol? protocol = null, string? dataset = null)
    {
        var preset = MethodPreset.Get(method, shots, dataset, protocol);
        return preset.Adapt(nCtx: preset.Prompts.TextTokens > 0 ? NCtx : null, depth: preset.IsDeep ? Depth : null, epochs: Epochs);
    }

    /// <summary>The overrides in words, for reports; empty when the paper's recipes are used as they are.</summary>
    public IReadOnlyList<string> DescribeOverrides()
    {
        var notes = new List<string>();
        if (Depth is { } depth)
            notes.Add($"prompt depth {depth} for the deep presets (overridden; the papers use 9 for maple and promptsrc, 3 for maple-transfer and promptsrc-transfer, 12 for ivlp, deep-language and vpt-deep)");
        if (NCtx is { } nCtx)
            notes.Add($"learned text tokens set to {nCtx} (overridden; MaPLe's coupled vision tokens follow)");
        if (Epochs is { } epochs)
            notes.Add($"training epochs set to {epochs} (overridden; not the paper's recipe)");
        if (ZeroShotTemplates is { } templates)
            notes.Add($"zero-shot CLIP prompts: {string.Join(", ", templates.Select(t => $"\"{t}\""))} for every dataset (overridden; the papers use each dataset's own template)");
        return notes;
    }
}
