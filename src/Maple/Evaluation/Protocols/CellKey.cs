namespace Maple.Evaluation.Protocols;

/// <summary>One unit of a benchmark: a method trained (or not) and scored on one dataset with one seed.</summary>
/// <param name="Protocol">
/// The folder the cell lives in: base2novel, few-shot, cross-dataset, domain-generalization, <c>transfer-source</c>
/// (the ImageNet column, shared by the two transfer protocols) or <c>ood-&lt;score&gt;</c>.
/// </param>
/// <param name="Method">The method preset.</param>
/// <param name="Dataset">The dataset scored (for OOD, the in-distribution dataset).</param>
/// <param name="Seed">The seed of the shots and the training.</param>
/// <param name="Shots">Training images per class.</param>
public sealed record CellKey(string Protocol, string Method, string Dataset, int Seed, int Shots)
{
    /// <summary>The cell's folder under a benchmark's output folder.</summary>
    public string RelativeFolder => Path.Combine(Protocol, Method, Dataset, $"shots{Shots}-seed{Seed}");
}
