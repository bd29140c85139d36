using ScottPlot;

namespace Maple.Evaluation;

/// <summary>The PNG figures Maple writes, drawn with ScottPlot.</summary>
public static class Plots
{
    /// <summary>A heat-map of confusion[true, predicted], row-normalised so every class reads on the same scale.</summary>
    public static void ConfusionHeatmap(string path, int[,] confusion, IReadOnlyList<string> classNames, string title)
    {
        var (plot, width, height) = ConfusionHeatmapPlot(confusion, classNames, title);
        SavePng(plot, path, width, height);
    }

    /// <summary>
    /// The confusion heat-map and its image size: true classes top to bottom in class order, predicted classes
    /// left to right, so the diagonal runs from the top left, and the tick labels name the cells beside them.
    /// </summary>
    internal static (Plot Plot, int Width, int Height) ConfusionHeatmapPlot(int[,] confusion, IReadOnlyList<string> classNames, string title)
    {
        var n = classNames.Count;
        var values = new double[n, n];
        for (var t = 0; t < n; t++)
        {
            var total = 0.0;
            for (var p = 0; p < n; p++)
                total += confusion[t, p];
            for (var p = 0; p < n; p++)
                values[t, p] = total == 0 ? 0 : confusion[t, p] / total;
        }

        var plot = new Plot();
        // ScottPlot draws row 0 of the data at the top, as an image: data row t is centred at y = n - 1 - t.
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap).Label = "fraction of the true class";
        plot.Title(title);
        plot.XLabel("predicted");
        plot.YLabel("true");
        if (n <= 40)
        {
            var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
            plot.Axes.Bottom.SetTicks(positions, classNames.ToArray());
            plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = 8 * classNames.Max(c => c.Length) + 40;
            plot.Axes.Left.SetTicks(positions.Select(y => n - 1 - y).ToArray(), classNames.ToArray());
        }
        var size = Math.Clamp(200 + 24 * n, 500, 2400);
        return (plot, size + 150, size);
    }

    /// <summary>
    /// Grouped bars: one group per entry of <paramref name="groups"/> (e.g. Base, Novel, HM), one bar per
    /// series (e.g. method) in each group; <paramref name="values"/>[series][group], NaN for a missing bar.
    /// </summary>
    public static void GroupedBars(string path, string title, IReadOnlyList<string> groups, IReadOnlyList<string> series,
        IReadOnlyList<IReadOnlyList<double>> values, string yLabel)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / Math.Max(1, series.Count);
        for (var s = 0; s < series.Count; s++)
        {
            var bars = new List<Bar>();
            for (var g = 0; g < groups.Count; g++)
            {
                if (double.IsNaN(values[s][g]))
                    continue;
                bars.Add(new Bar { Position = g - 0.4 + width * (s + 0.5), Value = values[s][g], Size = width * 0.95, FillColor = palette.GetColor(s) });
            }
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s], FillColor = palette.GetColor(s) });
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray(), groups.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        SavePng(plot, path, Math.Clamp(250 + 90 * groups.Count * Math.Max(1, series.Count / 2), 600, 2400), 450);
    }

    /// <summary>
    /// One line with markers per series (e.g. method) over the labelled points <paramref name="xLabels"/> (e.g. shots),
    /// evenly spaced; <paramref name="values"/>[series][point], NaN for a missing point.
    /// </summary>
    public static void Lines(string path, string title, IReadOnlyList<string> xLabels, IReadOnlyList<string> series,
        IReadOnlyList<IReadOnlyList<double>> values, string xLabel, string yLabel)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var s = 0; s < series.Count; s++)
        {
            var points = Enumerable.Range(0, xLabels.Count).Where(i => !double.IsNaN(values[s][i])).ToArray();
            var line = plot.Add.Scatter(points.Select(i => (double)i).ToArray(), points.Select(i => values[s][i]).ToArray(), palette.GetColor(s));
            line.LineWidth = 2;
            line.MarkerSize = 8;
            line.LegendText = series[s];
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, xLabels.Count).Select(i => (double)i).ToArray(), xLabels.ToArray());
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        SavePng(plot, path, 800, 450);
    }

    /// <summary>Loss and accuracy per epoch (means over the epoch's steps) of a run's <c>train.jsonl</c>.</summary>
    public static void TrainingCurves(string path, string trainJsonl, string title)
    {
        var (plot, width, height) = TrainingCurvesPlot(trainJsonl, title);
        SavePng(plot, path, width, height);
    }

    /// <summary>The training curves and their image size: ticks at whole epochs only, the legend below the axes.</summary>
    internal static (Plot Plot, int Width, int Height) TrainingCurvesPlot(string trainJsonl, string title)
    {
        static (int Epoch, double Loss, double Accuracy) Parse(string line)
        {
            using var record = System.Text.Json.JsonDocument.Parse(line);
            var root = record.RootElement;
            return (root.GetProperty("epoch").GetInt32(), root.GetProperty("loss").GetDouble(), root.GetProperty("accuracy").GetDouble());
        }

        var steps = File.ReadLines(trainJsonl).Select(Parse).GroupBy(s => s.Epoch).OrderBy(g => g.Key).ToList();
        var epochs = steps.Select(g => (double)g.Key + 1).ToArray();

        var plot = new Plot();
        var loss = plot.Add.Scatter(epochs, steps.Select(g => g.Average(s => s.Loss)).ToArray());
        loss.LegendText = "loss";
        var accuracy = plot.Add.Scatter(epochs, steps.Select(g => 100 * g.Average(s => s.Accuracy)).ToArray());
        accuracy.LegendText = "train accuracy (%)";
        accuracy.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.YLabel("loss");
        plot.XLabel("epoch");
        // Epochs are whole: a tick at each one up to a readable count, else at whole numbers only, never at 1.5, 2.5, ...
        if (epochs.Length is > 0 and <= 30)
            plot.Axes.Bottom.SetTicks(epochs, epochs.Select(e => e.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        else
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title(title);
        // Outside the axes: inside, the legend hid the last epochs' points wherever the curves ended.
        plot.ShowLegend(Edge.Bottom);
        return (plot, 700, 460);
    }

    /// <summary>Saves atomically (temp file + rename), like every file Maple writes.</summary>
    public static void SavePng(Plot plot, string path, int width, int height)
    {
        var bytes = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }
}
