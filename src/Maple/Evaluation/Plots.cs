using ScottPlot;

namespace Maple.Evaluation;

/// <summary>The PNG figures Maple writes, drawn with ScottPlot.</summary>
public static class Plots
{
    /// <summary>A heat-map of confusion[true, predicted], row-normalised so every class reads on the same scale.</summary>
    public static void ConfusionHeatmap(string path, int[,] confusion, IReadOnlyList<string> classNames, string title)
    {
        var n = classNames.Count;
        var values = new double[n, n];
        for (var t = 0; t < n; t++)
        {
            var total = 0.0;
            for (var p = 0; p < n; p++)
                total += confusion[t, p];
            for (var p = 0; p < n; p++)
                values[n - 1 - t, p] = total == 0 ? 0 : confusion[t, p] / total; // row 0 of the image is the top
        }

        var plot = new Plot();
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
            plot.Axes.Left.SetTicks(positions, classNames.Reverse().ToArray());
        }
        var size = Math.Clamp(200 + 24 * n, 500, 2400);
        SavePng(plot, path, size + 150, size);
    }

    /// <summary>Saves atomically (temp file + rename), like every file Maple writes.</summary>
    public static void SavePng(Plot plot, string path, int width, int height)
    {
        var bytes = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }
}
