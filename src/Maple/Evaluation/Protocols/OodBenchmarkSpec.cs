using Maple.Evaluation.Ood;

namespace Maple.Evaluation.Protocols;

/// <summary>What an OOD benchmark scores.</summary>
/// <param name="Id">
/// The in-distribution data: a benchmark name under the data root (trained on its <c>train</c> split, scored on its
/// <c>test</c> split), a split JSON (its <c>train</c> and <c>test</c> splits), or an image folder with one sub-folder per
/// class (trained on the K-shot sample, scored on the images not drawn for it).
/// </param>
/// <param name="Ood">
/// OOD sets: benchmark names (their <c>test</c> split), image folders (flat or with class folders; labels are
/// ignored) or split JSONs (their <c>test</c> split).
/// </param>
/// <param name="Score">The OOD score and its settings.</param>
/// <param name="Shots">K of each group of cells (the OOD papers use 16; zero-shot cells ignore it).</param>
public sealed record OodBenchmarkSpec(string Id, IReadOnlyList<string> Ood, OodScoreOptions Score, IReadOnlyList<int> Shots);
