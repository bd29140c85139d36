using System.Text.Json;
using Maple.Tests.Training;

namespace Maple.Tests.Protocols;

/// <summary><c>maple benchmark</c> in-process on the miniature layouts with the tiny CLIP.</summary>
public sealed class BenchmarkCommandTests
{
    [Fact]
    public async Task Base2NovelWritesTheTable()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var (code, error) = await CliRunner.RunAsync("benchmark", "base2novel", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root,
            "--datasets", "eurosat", "--method", "zeroshot", "maple", "--depth", "2", "--seeds", "1", "--epochs", "1",
            "--output", temp["out"], "--precision", "fp32");
        Assert.True(code == 0, error);

        var markdown = File.ReadAllText(temp["out/base2novel.md"]);
        Assert.Contains("## EuroSAT", markdown);
        Assert.Contains("| zeroshot | ", markdown);
        Assert.Contains("| maple | ", markdown);
        Assert.Contains("prompt depth 2", markdown);
        Assert.True(File.Exists(temp["out/base2novel.csv"]));
        Assert.True(File.Exists(temp["out/plots/base2novel/EuroSAT.png"]));
        using var json = JsonDocument.Parse(File.ReadAllText(temp["out/base2novel.json"]));
        Assert.Equal(2, json.RootElement.GetProperty("cells").GetArrayLength());
        using var zeroShot = JsonDocument.Parse(File.ReadAllText(temp["out/base2novel/zeroshot/EuroSAT/shots16-seed1/result.json"]));
        Assert.Equal("a centered satellite photo of {}.", zeroShot.RootElement.GetProperty("Recipe").GetProperty("eval:templates").GetString());
    }

    [Fact]
    public async Task TemplateOptionsReachTheZeroShotCells()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var (code, error) = await CliRunner.RunAsync("benchmark", "few-shot", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root,
            "--datasets", "eurosat", "dtd", "--method", "zeroshot", "--seeds", "1", "--shots", "1", "--templates", "imagenet-select",
            "--template", "a {} seen from above.", "--output", temp["out"], "--precision", "fp32");
        Assert.True(code == 0, error);

        var expected = string.Join(" | ", [.. Maple.Prompting.PromptTemplates.ImageNetSelect, "a {} seen from above."]);
        foreach (var dataset in new[] { "EuroSAT", "DescribableTextures" })
        {
            using var cell = JsonDocument.Parse(File.ReadAllText(temp[$"out/few-shot/zeroshot/{dataset}/shots1-seed1/result.json"]));
            Assert.Equal(expected, cell.RootElement.GetProperty("Recipe").GetProperty("eval:templates").GetString());
        }
        Assert.Contains("zero-shot CLIP prompts: \"itap of a {}.\", ", File.ReadAllText(temp["out/few-shot.md"]));
    }

    [Fact]
    public async Task OodTakesAnImageFolderAsTheIdSet()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        // EuroSAT's class folders as a plain image folder: 4 classes of 5 images; 1 shot leaves 4 per class to score.
        var id = Path.Combine(data.Root, "eurosat", "2750");
        var (code, error) = await CliRunner.RunAsync("benchmark", "ood", "--model", Fixtures.TinyMapleModel, "--id", id, "--ood", data.FlatOod,
            "--method", "zeroshot", "--seeds", "1", "2", "--shots", "1", "--score", "energy", "--output", temp["out"], "--precision", "fp32");
        Assert.True(code == 0, error);

        using var json = JsonDocument.Parse(File.ReadAllText(temp["out/ood-energy.json"]));
        Assert.Equal("2750", json.RootElement.GetProperty("id").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("cells").GetArrayLength());
        using var cell = JsonDocument.Parse(File.ReadAllText(temp["out/ood-energy/zeroshot/2750/shots1-seed2/ood.json"]));
        Assert.Equal(16, cell.RootElement.GetProperty("id").GetProperty("count").GetInt32()); // 20 images less the 4 drawn for seed 2
        Assert.Contains("## FPR95 and AUROC", File.ReadAllText(temp["out/ood-energy.md"]));
    }

    [Theory]
    [InlineData("--depth", "--shots 4 8", "--shots takes one value")]
    [InlineData("", "", "--depth")]
    public async Task BadSettingsAreOneClearError(string depth, string shots, string expected)
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        string[] args = ["benchmark", "base2novel", "--model", Fixtures.TinyMapleModel, "--data-root", data.Root, "--datasets", "eurosat",
            "--seeds", "1", "--output", temp["out"], "--precision", "fp32"];
        if (depth.Length > 0)
            args = [.. args, depth, "2"];
        if (shots.Length > 0)
            args = [.. args, .. shots.Split(' ')];
        var (code, error) = await CliRunner.RunAsync(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
    }

    [Fact]
    public async Task AnIdSetThatIsNoDataIsNamedByItsFlag()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var missing = temp["no-such-folder"];
        var (code, error) = await CliRunner.RunAsync("benchmark", "ood", "--model", Fixtures.TinyMapleModel, "--id", missing, "--ood", data.FlatOod,
            "--method", "zeroshot", "--seeds", "1", "--shots", "1", "--output", temp["out"], "--precision", "fp32");
        Assert.Equal(1, code);
        Assert.Equal($"error: --id must be a benchmark name (with a data root), an image folder or a split file (got {missing}){Environment.NewLine}", error);
    }
}
