using Maple.Evaluation;
using Maple.Tests.Training;
using ScottPlot;
using SkiaSharp;

namespace Maple.Tests.Evaluation;

/// <summary>What the drawn figures show, read back from the PNG's pixels.</summary>
public sealed class PlotsTests : IDisposable
{
    // The ends of matplotlib's viridis colour scale, which the heat-map uses: 0 and 1.
    static readonly SKColor ViridisLow = new(0x44, 0x01, 0x54);
    static readonly SKColor ViridisHigh = new(0xFD, 0xE7, 0x25);

    readonly TempFolder _temp = new();

    [Fact]
    public void ConfusionHeatmap_DrawsEachCellBesideItsClassLabels()
    {
        // Four classes, each recognised perfectly except "cat", always predicted as "bird": the one
        // off-diagonal cell is (true cat, predicted bird), and the (cat, cat) cell is empty.
        string[] names = ["cat", "dog", "bird", "fish"];
        var confusion = new int[4, 4];
        confusion[0, 2] = 7;
        confusion[1, 1] = 5;
        confusion[2, 2] = 6;
        confusion[3, 3] = 4;
        var (plot, width, height) = Plots.ConfusionHeatmapPlot(confusion, names, "test");
        var path = _temp["confusion.png"];
        Plots.SavePng(plot, path, width, height);
        using var image = SKBitmap.Decode(path);
        Assert.Equal((width, height), (image.Width, image.Height));

        // The cell a reader finds by the labels: the column of the predicted class, the row of the true one.
        SKColor Cell(string truth, string predicted)
        {
            var x = plot.Axes.Bottom.TickGenerator.Ticks.Single(t => t.Label == predicted).Position;
            var y = plot.Axes.Left.TickGenerator.Ticks.Single(t => t.Label == truth).Position;
            var pixel = plot.GetPixel(new Coordinates(x, y));
            return image.GetPixel((int)Math.Round(pixel.X), (int)Math.Round(pixel.Y));
        }

        AssertColour(ViridisHigh, Cell("cat", "bird"), "true cat, predicted bird");
        AssertColour(ViridisLow, Cell("cat", "cat"), "true cat, predicted cat");
        AssertColour(ViridisLow, Cell("bird", "cat"), "true bird, predicted cat");
        foreach (var name in names[1..])
            AssertColour(ViridisHigh, Cell(name, name), $"true {name}, predicted {name}");
        AssertColour(ViridisLow, Cell("fish", "dog"), "true fish, predicted dog");

        // True classes read top to bottom in class order, as in every confusion matrix.
        var rows = names.Select(n => plot.GetPixel(new Coordinates(0, plot.Axes.Left.TickGenerator.Ticks.Single(t => t.Label == n).Position)).Y).ToArray();
        Assert.Equal(rows.Order().ToArray(), rows);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(45)]
    public void TrainingCurves_TickWholeEpochsOnlyAndKeepTheLegendOffTheCurves(int epochs)
    {
        var jsonl = _temp[$"train-{epochs}.jsonl"];
        File.WriteAllLines(jsonl, Enumerable.Range(0, epochs).SelectMany(e => Enumerable.Range(0, 2).Select(s => string.Create(
            System.Globalization.CultureInfo.InvariantCulture, $"{{\"epoch\":{e},\"step\":{s},\"loss\":{2.0 / (e + 1)},\"accuracy\":{(double)e / epochs}}}"))));
        var (plot, width, height) = Plots.TrainingCurvesPlot(jsonl, "curves");
        var path = _temp[$"curves-{epochs}.png"];
        Plots.SavePng(plot, path, width, height);

        var ticks = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor && t.Label.Length > 0).Select(t => t.Position).ToList();
        Assert.True(ticks.Count >= 3, $"{ticks.Count} ticks");
        Assert.All(ticks, p => Assert.Equal(Math.Round(p), p));
        if (epochs == 3)
            Assert.Equal([1.0, 2.0, 3.0], ticks);

        // Inside the axes only the curves and the grid: no dark legend text or frame over them. Below, the legend's
        // symbols in the curves' colours.
        using var image = SKBitmap.Decode(path);
        var data = plot.LastRender.DataRect;
        var dark = 0;
        for (var y = (int)data.Top + 3; y < (int)data.Bottom - 3; y++)
            for (var x = (int)data.Left + 3; x < (int)data.Right - 3; x++)
                if (image.GetPixel(x, y) is var c && c.Red < 80 && c.Green < 80 && c.Blue < 80)
                    dark++;
        Assert.Equal(0, dark);
        var lossColour = ((ScottPlot.Plottables.Scatter)plot.GetPlottables().First()).Color;
        var legendSymbol = false;
        for (var y = (int)data.Bottom + 1; y < image.Height && !legendSymbol; y++)
            for (var x = 0; x < image.Width && !legendSymbol; x++)
                legendSymbol = image.GetPixel(x, y) is var c && Math.Abs(c.Red - lossColour.R) < 10 && Math.Abs(c.Green - lossColour.G) < 10 && Math.Abs(c.Blue - lossColour.B) < 10;
        Assert.True(legendSymbol, "no legend below the axes");
    }

    static void AssertColour(SKColor expected, SKColor got, string cell)
    {
        var distance = Math.Max(Math.Abs(expected.Red - got.Red), Math.Max(Math.Abs(expected.Green - got.Green), Math.Abs(expected.Blue - got.Blue)));
        Assert.True(distance <= 8, $"{cell}: colour {got} where the scale gives {expected}");
    }

    public void Dispose() => _temp.Dispose();
}
