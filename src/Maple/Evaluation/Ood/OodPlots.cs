using System.Globalization;
using ScottPlot;

namespace Maple.Evaluation.Ood;

/// <summary>The figures of an OOD evaluation: ROC curves and score histograms.</summary>
public static class OodPlots
{
    /// <summary>One ROC curve (FPR against TPR, ID positive) per OOD set, its AUROC in the legend.</summary>
    public static void RocCurves(string path, OodEvaluationResult result, string title)
    {
        var plot = new Plot();
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LineColor = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        foreach (var set in result.Sets)
        {
            var curve = set.Curve;
            var fpr = Enumerable.Range(0, curve.Count).Select(curve.Fpr).ToArray();
            var tpr = Enumerable.Range(0, curve.Count).Select(curve.Tpr).ToArray();
            var line = plot.Add.ScatterLine(fpr, tpr);
            line.LineWidth = 2;
            line.LegendText = string.Create(CultureInfo.InvariantCulture,
                $"{set.Name}: AUROC {100 * set.Metrics.Auroc:F2}, FPR95 {100 * set.Metrics.Fpr95:F2}");
        }
        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);
        plot.Title(title);
        plot.XLabel("false-positive rate (OOD called ID)");
        plot.YLabel("true-positive rate (ID called ID)");
        plot.ShowLegend(Alignment.LowerRight);
        Plots.SavePng(plot, path, 800, 700);
    }

    /// <summary>Densities of the ID scores and of each OOD set's scores over shared bins.</summary>
    public static void ScoreHistograms(string path, OodEvaluationResult result, string title, int bins = 40)
    {
        var all = result.IdScores.Concat(result.Sets.SelectMany(s => s.Scores)).ToArray();
        var (low, high) = (all.Min(), all.Max());
        if (high <= low)
            (low, high) = (low - 0.5, high + 0.5); // every score equal: draw one visible bin around it
        var width = (high - low) / bins;
        var edges = Enumerable.Range(0, bins + 1).Select(i => low + i * width).ToArray();

        var plot = new Plot();
        AddDensity(plot, $"ID ({result.IdScores.Length})", result.IdScores, low, width, edges);
        foreach (var set in result.Sets)
            AddDensity(plot, $"{set.Name} ({set.Scores.Length})", set.Scores, low, width, edges);
        plot.Title(title);
        plot.XLabel($"{OodScores.Name(result.Options.Score)} score (higher = more in-distribution)");
        plot.YLabel("density");
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Edge.Right); // outside the axes: peaks can be anywhere
        Plots.SavePng(plot, path, 900, 600);
    }

    static void AddDensity(Plot plot, string label, double[] scores, double low, double width, double[] edges)
    {
        var bins = edges.Length - 1;
        // A closed outline: up from 0 at the left edge, a step per bin, down to 0 at the right edge.
        var xs = new double[bins + 2];
        var ys = new double[bins + 2];
        xs[0] = edges[0];
        Array.Copy(edges, 0, xs, 1, bins + 1);
        foreach (var score in scores)
            ys[1 + Math.Clamp((int)((score - low) / width), 0, bins - 1)]++;
        for (var i = 1; i <= bins; i++)
            ys[i] /= scores.Length * width;
        var line = plot.Add.ScatterLine(xs, ys);
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.LineWidth = 2;
        line.LegendText = label;
    }
}
