using System.Text.Json.Nodes;
using Maple.Clip;
using Maple.Demo;

namespace Maple.Tests.Demo;

public sealed class DemoRunnerTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("maple-demo-run-").FullName;

    [Fact]
    public async Task QuickDemoProducesTheBaseToNovelTableAndAReusableModel()
    {
        var cache = Path.Combine(_temp, "cache");
        var stages = new List<string>();
        var progress = new Recorder(p =>
        {
            if (stages.LastOrDefault() != p.Stage)
                stages.Add(p.Stage);
        });

        var result = new DemoRunner(DemoSettings.Quick, Path.Combine(_temp, "out"), seed: 1, cacheRoot: cache).Run(progress);

        Assert.Equal(["Method", "Base", "Novel", "HM"], DemoTable.Columns);
        Assert.Equal(["Zero-shot CLIP", "CoOp", "MaPLe"], result.Table.Rows.Select(r => r.Method));
        Assert.All(result.Table.Rows, r =>
        {
            Assert.InRange(r.Base, 0, 100);
            Assert.InRange(r.Novel, 0, 100);
            Assert.InRange(r.HarmonicMean, Math.Min(r.Base, r.Novel), Math.Max(r.Base, r.Novel));
        });
        Assert.True(result.PretrainedNow);
        Assert.Contains("pretraining", stages);
        Assert.Contains("MaPLe", stages);
        Assert.StartsWith("| Method | Base | Novel | HM |", result.Table.ToMarkdown());

        // The OOD table: zero-shot MCM against MaPLe's MCM and GL-MCM, base test images against unseen shapes.
        Assert.Equal(["Method", "Score", "AUROC", "FPR95"], DemoOodTable.Columns);
        Assert.Equal([("Zero-shot CLIP", "MCM"), ("MaPLe", "MCM"), ("MaPLe", "GL-MCM")], result.Ood.Rows.Select(r => (r.Method, r.Score)));
        Assert.All(result.Ood.Rows, r =>
        {
            Assert.InRange(r.Auroc, 0, 100);
            Assert.InRange(r.Fpr95, 0, 100);
        });
        Assert.Contains(stages, s => s.Contains("OOD", StringComparison.Ordinal));

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_temp, "out", "results.json")))!;
        Assert.Equal(3, json["results"]!.AsArray().Count);
        Assert.Contains("| MaPLe |", File.ReadAllText(Path.Combine(_temp, "out", "results.md")));
        Assert.Equal(3, json["ood"]!.AsArray().Count);
        Assert.Contains("| MaPLe | GL-MCM |", File.ReadAllText(Path.Combine(_temp, "out", "results.md")));
        Assert.True(File.Exists(Path.Combine(_temp, "out", "results.png")));
        Assert.True(File.Exists(Path.Combine(_temp, "out", "ood.png")));

        // The cache holds exactly one complete model and no temporary folder, and any command can load it.
        Assert.Equal([result.ModelFolder], Directory.GetDirectories(cache));
        Assert.True(DemoModelCache.IsComplete(result.ModelFolder));
        using (var loaded = await PretrainedClip.LoadAsync(result.ModelFolder, Precision.Fp32))
            Assert.Equal(loaded.Tokenizer.VocabularySize, loaded.Model.Config.Text.VocabularySize);

        // A second run reuses the model and, with the same seed, gives the same table.
        var again = new DemoRunner(DemoSettings.Quick, Path.Combine(_temp, "out2"), seed: 1, cacheRoot: cache).Run();
        Assert.False(again.PretrainedNow);
        Assert.Equal(result.ModelFolder, again.ModelFolder);
        Assert.Equal(result.Table.Rows, again.Table.Rows);
        Assert.Equal(result.Ood.Rows, again.Ood.Rows);
    }

    [Fact]
    public void TheCacheFolderDependsOnTheSettings()
    {
        var world = DemoWorld.Default;
        var quick = DemoModelCache.FolderFor(_temp, DemoSettings.Quick, world);

        Assert.Equal(quick, DemoModelCache.FolderFor(_temp, DemoSettings.Quick with { }, world));
        Assert.NotEqual(quick, DemoModelCache.FolderFor(_temp, DemoSettings.Full, world));
        Assert.NotEqual(quick, DemoModelCache.FolderFor(_temp, DemoSettings.Quick with { Pretraining = DemoSettings.Quick.Pretraining with { Seed = 9 } }, world));
        // Downstream settings do not change the pretrained model.
        Assert.Equal(quick, DemoModelCache.FolderFor(_temp, DemoSettings.Quick with { Shots = 8 }, world));
    }

    [Fact]
    public void HarmonicMeanIsTwoBNOverBPlusN()
    {
        Assert.Equal(2 * 80.0 * 60 / 140, new DemoRow("m", 80, 60).HarmonicMean, 10);
        Assert.Equal(0, new DemoRow("m", 0, 0).HarmonicMean);
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    sealed class Recorder(Action<DemoProgress> action) : IProgress<DemoProgress>
    {
        public void Report(DemoProgress value) => action(value);
    }
}
