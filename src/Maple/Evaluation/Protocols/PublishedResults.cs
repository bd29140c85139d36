namespace Maple.Evaluation.Protocols;

/// <summary>The MaPLe paper's reported base-to-novel numbers (ViT-B/16, 16 shots, mean of 3 seeds), shown beside ours.</summary>
public static class PublishedResults
{
    /// <summary>11-dataset averages of Base, Novel and HM per method (MaPLe paper, Table 1).</summary>
    public static IReadOnlyDictionary<string, (double Base, double Novel, double Hm)> Base2NovelAverage { get; } =
        new Dictionary<string, (double, double, double)>
        {
            ["zeroshot"] = (69.34, 74.22, 71.70),
            ["coop"] = (82.69, 63.22, 71.66),
            ["cocoop"] = (80.47, 71.69, 75.83),
            ["vpt-deep"] = (80.24, 73.43, 76.68),
            ["deep-language"] = (81.72, 73.81, 77.56),
            ["ivlp"] = (82.15, 74.07, 77.90),
            ["maple"] = (82.28, 75.14, 78.55),
        };

    /// <summary>Per-dataset numbers known to this build: (method, dataset) → Base, Novel, HM.</summary>
    public static IReadOnlyDictionary<(string Method, string Dataset), (double Base, double Novel, double Hm)> Base2NovelPerDataset { get; } =
        new Dictionary<(string, string), (double, double, double)>
        {
            [("maple", "eurosat")] = (94.07, 73.23, 82.35),
        };
}
