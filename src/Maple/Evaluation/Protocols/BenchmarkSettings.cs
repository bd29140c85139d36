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

    /// <summary>Images per evaluation forward pass.</summary>
    public int EvalBatchSize { get; init; } = 32;

    /// <summary>Threads decoding images.</summary>
    public int LoaderThreads { get; init; } = 1;

    /// <summary>Overrides the presets' epochs (e.g. for a quick look); null keeps the paper's recipe.</summary>
    public int? Epochs { get; init; }
}
