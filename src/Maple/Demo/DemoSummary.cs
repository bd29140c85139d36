using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Maple.Evaluation.Protocols;

namespace Maple.Demo;

/// <summary>What one seed of the demo produced: its base-to-novel table and its OOD table.</summary>
/// <param name="Seed">The seed of the few-shot training images and the prompts' initialisation.</param>
/// <param name="Table">The base-to-novel table of this seed.</param>
/// <param name="Ood">The OOD table of this seed.</param>
public sealed record DemoSeedResult(long Seed, DemoTable Table, DemoOodTable Ood);

/// <summary>One method's base-to-novel result over seeds, as the papers report it.</summary>
/// <param name="Method">The method's name.</param>
/// <param name="Base">Base accuracy (%), mean ± sample std over seeds.</param>
/// <param name="Novel">Novel accuracy (%), mean ± sample std over seeds.</param>
/// <param name="SeedHarmonicMeans">The per-seed HMs (%), summarised.</param>
public sealed record DemoMeanRow(string Method, ScoreSummary Base, ScoreSummary Novel, ScoreSummary SeedHarmonicMeans)
{
    /// <summary>HM of the mean Base and Novel accuracies, as the papers compute it.</summary>
    public double HarmonicMean => ScoreSummary.HarmonicMean(Base.Mean, Novel.Mean);
}

/// <summary>One method and OOD score over seeds: AUROC and FPR95 (%), mean ± sample std.</summary>
/// <param name="Method">The prompts.</param>
/// <param name="Score">The OOD score.</param>
/// <param name="Auroc">AUROC (%) over seeds.</param>
/// <param name="Fpr95">FPR95 (%) over seeds.</param>
public sealed record DemoOodMeanRow(string Method, string Score, ScoreSummary Auroc, ScoreSummary Fpr95);

/// <summary>
/// The demo over several seeds: each seed's tables, and the base-to-novel and OOD tables as mean ± sample
/// standard deviation over them. HM is the harmonic mean of the mean Base and Novel accuracies (as the
/// papers compute it); its ± is the standard deviation of the per-seed HMs.
/// </summary>
/// <param name="Seeds">One result per seed, in the order run; every seed has the same methods in the same order.</param>
public sealed record DemoSummary(IReadOnlyList<DemoSeedResult> Seeds)
{
    /// <summary>The methods whose pattern the paper reports.</summary>
    public const string ZeroShot = "Zero-shot CLIP", CoOp = "CoOp", Maple = "MaPLe";

    /// <summary>The base-to-novel table over seeds, one row per method.</summary>
    public IReadOnlyList<DemoMeanRow> Rows => Seeds.Count == 0 ? [] : Seeds[0].Table.Rows.Select((row, i) =>
    {
        var rows = Seeds.Select(s => s.Table.Rows[i]).ToList();
        return new DemoMeanRow(row.Method, ScoreSummary.Of(rows.Select(r => r.Base).ToList()), ScoreSummary.Of(rows.Select(r => r.Novel).ToList()),
            ScoreSummary.Of(rows.Select(r => r.HarmonicMean).ToList()));
    }).ToList();

    /// <summary>The OOD table over seeds, one row per method and score.</summary>
    public IReadOnlyList<DemoOodMeanRow> OodRows => Seeds.Count == 0 ? [] : Seeds[0].Ood.Rows.Select((row, i) =>
    {
        var rows = Seeds.Select(s => s.Ood.Rows[i]).ToList();
        return new DemoOodMeanRow(row.Method, row.Score, ScoreSummary.Of(rows.Select(r => r.Auroc).ToList()), ScoreSummary.Of(rows.Select(r => r.Fpr95).ToList()));
    }).ToList();

    /// <summary>
    /// Whether the paper's pattern holds on the means: CoOp's base accuracy above zero-shot CLIP's, and MaPLe's
    /// HM above both zero-shot CLIP's and CoOp's.
    /// </summary>
    public bool PatternHoldsOnMean
    {
        get
        {
            var rows = Rows.ToDictionary(r => r.Method);
            return Holds(rows[ZeroShot].Base.Mean, rows[CoOp].Base.Mean, rows[ZeroShot].HarmonicMean, rows[CoOp].HarmonicMean, rows[Maple].HarmonicMean);
        }
    }

    /// <summary>The seeds on which the paper's pattern (see <see cref="PatternHoldsOnMean"/>) does not hold.</summary>
    public IReadOnlyList<long> SeedsBreakingPattern => Seeds.Where(s =>
    {
        var rows = s.Table.Rows.ToDictionary(r => r.Method);
        return !Holds(rows[ZeroShot].Base, rows[CoOp].Base, rows[ZeroShot].HarmonicMean, rows[CoOp].HarmonicMean, rows[Maple].HarmonicMean);
    }).Select(s => s.Seed).ToList();

    /// <summary>One line saying whether the paper's pattern holds on the mean and on every seed.</summary>
    public string PatternText()
    {
        var broken = SeedsBreakingPattern;
        var seeds = $"seed{(broken.Count > 1 ? "s" : "")} {string.Join(", ", broken)}";
        var verdict = (PatternHoldsOnMean, broken.Count) switch
        {
            (true, 0) => "holds on the mean and on every seed",
            (true, _) => $"holds on the mean, not on {seeds}",
            (false, 0) => "holds on every seed but not on the mean",
            (false, _) => $"does not hold on the mean nor on {seeds}",
        };
        return $"The paper's pattern (CoOp's Base above zero-shot CLIP's; MaPLe's HM above zero-shot CLIP's and CoOp's) {verdict}.";
    }

    /// <summary>The mean table, then the per-seed rows, in Markdown.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append(string.Create(CultureInfo.InvariantCulture, $"Mean ± std over seeds {string.Join(", ", Seeds.Select(s => s.Seed))}; HM of the mean Base and Novel, ± the std of the per-seed HMs.\n\n"));
        text.Append("| ").AppendJoin(" | ", DemoTable.Columns).Append(" |\n");
        text.Append("|---|---:|---:|---:|\n");
        foreach (var row in Rows)
            text.Append(string.Create(CultureInfo.InvariantCulture, $"| {row.Method} | {row.Base} | {row.Novel} | {HarmonicMeanText(row)} |\n"));
        text.Append('\n').Append(PatternText()).Append("\n\nPer seed:\n\n| Seed | ").AppendJoin(" | ", DemoTable.Columns).Append(" |\n");
        text.Append("|---:|---|---:|---:|---:|\n");
        foreach (var seed in Seeds)
            foreach (var row in seed.Table.Rows)
                text.Append(string.Create(CultureInfo.InvariantCulture, $"| {seed.Seed} | {row.Method} | {row.Base:F2} | {row.Novel:F2} | {row.HarmonicMean:F2} |\n"));
        return text.ToString();
    }

    /// <summary>The OOD table over seeds, then the per-seed rows, in Markdown.</summary>
    public string OodToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", DemoOodTable.Columns).Append(" |\n");
        text.Append("|---|---|---:|---:|\n");
        foreach (var row in OodRows)
            text.Append(string.Create(CultureInfo.InvariantCulture, $"| {row.Method} | {row.Score} | {row.Auroc} | {row.Fpr95} |\n"));
        text.Append("\nPer seed:\n\n| Seed | ").AppendJoin(" | ", DemoOodTable.Columns).Append(" |\n");
        text.Append("|---:|---|---|---:|---:|\n");
        foreach (var seed in Seeds)
            foreach (var row in seed.Ood.Rows)
                text.Append(string.Create(CultureInfo.InvariantCulture, $"| {seed.Seed} | {row.Method} | {row.Score} | {row.Auroc:F2} | {row.Fpr95:F2} |\n"));
        return text.ToString();
    }

    /// <summary>"60.32 ± 4.10": the HM of the means, ± the std of the per-seed HMs (no ± for one seed).</summary>
    public static string HarmonicMeanText(DemoMeanRow row) => (row.SeedHarmonicMeans with { Mean = row.HarmonicMean }).ToString();

    /// <summary>The mean rows as JSON: <c>method</c>, <c>base</c>, <c>base_std</c>, <c>novel</c>, <c>novel_std</c>, <c>hm</c> (of the means), <c>hm_std</c>.</summary>
    public JsonArray ToJson() => new(Rows.Select(r => (JsonNode)new JsonObject
    {
        ["method"] = r.Method,
        ["base"] = Math.Round(r.Base.Mean, 4),
        ["base_std"] = Math.Round(r.Base.Std, 4),
        ["novel"] = Math.Round(r.Novel.Mean, 4),
        ["novel_std"] = Math.Round(r.Novel.Std, 4),
        ["hm"] = Math.Round(r.HarmonicMean, 4),
        ["hm_std"] = Math.Round(r.SeedHarmonicMeans.Std, 4),
    }).ToArray());

    /// <summary>The OOD mean rows as JSON: <c>method</c>, <c>score</c>, <c>auroc</c>, <c>auroc_std</c>, <c>fpr95</c>, <c>fpr95_std</c>.</summary>
    public JsonArray OodToJson() => new(OodRows.Select(r => (JsonNode)new JsonObject
    {
        ["method"] = r.Method,
        ["score"] = r.Score,
        ["auroc"] = Math.Round(r.Auroc.Mean, 4),
        ["auroc_std"] = Math.Round(r.Auroc.Std, 4),
        ["fpr95"] = Math.Round(r.Fpr95.Mean, 4),
        ["fpr95_std"] = Math.Round(r.Fpr95.Std, 4),
    }).ToArray());

    static bool Holds(double zeroShotBase, double coopBase, double zeroShotHm, double coopHm, double mapleHm) =>
        coopBase > zeroShotBase && mapleHm > zeroShotHm && mapleHm > coopHm;
}
