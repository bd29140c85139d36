using System.CommandLine;
using Maple.Cli.Commands;
using Spectre.Console;

namespace Maple.Tests.Datasets;

/// <summary><c>maple data inspect</c> and <c>maple data list</c>, run in-process on miniature layouts.</summary>
public sealed class InspectCommandTests : IDisposable
{
    readonly MiniRoot r = new();

    public void Dispose() => r.Dispose();

    static async Task<(int Exit, string Output)> Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 500;
        var root = new RootCommand("test") { DataCommand.Create(console) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, writer.ToString());
    }

    [Fact]
    public async Task PrintsCountsOfABenchmark()
    {
        MiniBenchmarks.EuroSat(r);
        var (exit, output) = await Run("data", "inspect", "--data-root", r.Root, "--dataset", "EuroSAT");
        Assert.Equal(0, exit);
        Assert.Contains("EuroSAT at " + r["eurosat"], output);
        Assert.Contains("4 classes: Annual Crop Land, Forest, Herbaceous Vegetation Land, Sea or Lake", output);
        Assert.Matches(@"train\s*│\s*8\s*│\s*4\s*│\s*2 / 2 / 2", output);
        Assert.Matches(@"val\s*│\s*4\s*│", output);
        Assert.Contains("8x8 (20)", output);
        Assert.Contains("no problems", output);
    }

    [Fact]
    public async Task FlagsAnUnreadableFile()
    {
        MiniBenchmarks.EuroSat(r);
        var bad = r.Bytes("eurosat/2750/Forest/Forest_2.jpg", "not an image at all"u8.ToArray());
        var (exit, output) = await Run("data", "inspect", "--data-root", r.Root, "--dataset", "eurosat", "--split", "train");
        Assert.Equal(DataCommand.ProblemsFound, exit);
        Assert.Contains("unreadable images (1)", output);
        Assert.Contains(bad, output);
        Assert.Contains("not a recognised image format", output);
    }

    [Fact]
    public async Task InspectsAnImageFolder()
    {
        r.Images("folder/cat", 3, ext: ".png");
        r.Images("folder/dog", 2, ext: ".png");
        var (exit, output) = await Run("data", "inspect", r["folder"]);
        Assert.Equal(0, exit);
        Assert.Contains("2 classes: cat, dog", output);
        Assert.Matches(@"all\s*│\s*5\s*│\s*2\s*│", output);
    }

    [Fact]
    public async Task ListsTheBenchmarksAndWhichArePresent()
    {
        MiniBenchmarks.Dtd(r);
        var (exit, output) = await Run("data", "list", "--data-root", r.Root);
        Assert.Equal(0, exit);
        Assert.Contains("ImageNetR", output);
        Assert.Contains(r["dtd"], output);
    }
}
