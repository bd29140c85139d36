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

        var result = new DemoRunner(DemoSettings.Quick, Path.Combine(_temp, "out"), seeds: [1, 2], cacheRoot: cache).Run(progress);

        var summary = result.Summary;
        Assert.Equal([1L, 2L], summary.Seeds.Select(s => s.Seed));
        string[] methods = ["Zero-shot CLIP", "CoOp", "MaPLe", "PromptSRC", "MMRL"];
        Assert.Equal(methods, summary.Rows.Select(r => r.Method));
        Assert.All(summary.Seeds, s => Assert.Equal(methods, s.Table.Rows.Select(r => r.Method)));
        // Zero-shot CLIP learns nothing: the same row on every seed.
        Assert.Equal(summary.Seeds[0].Table.Rows[0], summary.Seeds[1].Table.Rows[0]);
        // The mean row is the mean of the seed rows (2 seeds: std = |a - b| / √2).
        var maple = summary.Seeds.Select(s => s.Table.Rows[2]).ToList();
        Assert.Equal((maple[0].Base + maple[1].Base) / 2, summary.Rows[2].Base.Mean, 10);
        Assert.Equal(Math.Abs(maple[0].Novel - maple[1].Novel) / Math.Sqrt(2), summary.Rows[2].Novel.Std, 10);
        Assert.True(result.PretrainedNow);
        Assert.Contains("pretraining", stages);
        Assert.Contains("MaPLe (seed 2)", stages);

        // The OOD table: zero-shot MCM against MaPLe's MCM and GL-MCM, base test images against unseen shapes.
        Assert.Equal(["Method", "Score", "AUROC", "FPR95"], DemoOodTable.Columns);
        Assert.Equal([("Zero-shot CLIP", "MCM"), ("MaPLe", "MCM"), ("MaPLe", "GL-MCM")], summary.OodRows.Select(r => (r.Method, r.Score)));
        Assert.Contains(stages, s => s.Contains("OOD", StringComparison.Ordinal));

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_temp, "out", "results.json")))!;
        Assert.Equal(5, json["results"]!.AsArray().Count);
        Assert.Equal(2, json["per_seed"]!.AsArray().Count);
        Assert.Equal(maple[1].Base, (double)json["per_seed"]![1]!["results"]![2]!["base"]!, 4);
        Assert.Equal(summary.Rows[2].Base.Mean, (double)json["results"]![2]!["base"]!, 4);
        Assert.Equal(3, json["ood"]!.AsArray().Count);
        Assert.Equal(summary.PatternHoldsOnMean, (bool)json["pattern_holds_on_mean"]!);
        var markdown = File.ReadAllText(Path.Combine(_temp, "out", "results.md"));
        Assert.Contains("| MaPLe |", markdown);
        Assert.Contains("| 2 | MaPLe |", markdown);
        Assert.Contains("| MaPLe | GL-MCM |", markdown);
        Assert.True(File.Exists(Path.Combine(_temp, "out", "results.png")));
        Assert.True(File.Exists(Path.Combine(_temp, "out", "ood.png")));
        Assert.All(["coop", "maple", "promptsrc", "mmrl"], preset => Assert.True(Directory.Exists(Path.Combine(_temp, "out", "runs", "seed2", preset))));
        // Every learning method was built from its preset, adapted to the small CLIP: MMRL trains with AdamW, PromptSRC
        // with the self-regularising terms, as their presets say.
        var details = json["methods"]!.AsArray().Select(m => m!).Where(m => (long)m["seed"]! == 2).ToDictionary(m => (string)m["method"]!);
        Assert.Equal("AdamW", (string)details["MMRL"]!["optimizer"]!);
        Assert.Equal("Sgd", (string)details["PromptSRC"]!["optimizer"]!);
        Assert.Equal("promptsrc", (string)details["PromptSRC"]!["preset"]!);

        // The cache holds exactly one complete model and no temporary folder, and any command can load it.
        Assert.Equal([result.ModelFolder], Directory.GetDirectories(cache));
        Assert.True(DemoModelCache.IsComplete(result.ModelFolder));
        using (var loaded = await PretrainedClip.LoadAsync(result.ModelFolder, Precision.Fp32))
            Assert.Equal(loaded.Tokenizer.VocabularySize, loaded.Model.Config.Text.VocabularySize);

        // A second run reuses the model and, with the same seed, gives the same table.
        var again = new DemoRunner(DemoSettings.Quick, Path.Combine(_temp, "out2"), seeds: [1], cacheRoot: cache).Run();
        Assert.False(again.PretrainedNow);
        Assert.Equal(result.ModelFolder, again.ModelFolder);
        Assert.Equal(summary.Seeds[0].Table.Rows, again.Summary.Seeds[0].Table.Rows);
        Assert.Equal(summary.Seeds[0].Ood.Rows, again.Summary.Seeds[0].Ood.Rows);
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
    public void PretrainingDoesNotDependOnTheThreadCount()
    {
        // Pretraining runs on one intra-op thread whatever the caller set, and leaves the caller's setting as it was.
        var before = TorchSharp.torch.get_num_threads();
        TorchSharp.torch.set_num_threads(2);
        try
        {
            var tiny = DemoSettings.Quick with { Pretraining = DemoSettings.Quick.Pretraining with { Steps = 3 }, PretrainImagesPerClass = 1 };
            var threadsSeen = new HashSet<int>();
            var one = Path.Combine(_temp, "one");
            DemoModelCache.Build(one, tiny, DemoWorld.Default, new Recorder(p =>
            {
                if (p.Stage == "pretraining")
                    threadsSeen.Add(TorchSharp.torch.get_num_threads());
            }));
            Assert.Equal([1], threadsSeen);
            Assert.Equal(2, TorchSharp.torch.get_num_threads());
            TorchSharp.torch.set_num_threads(1);
            var other = Path.Combine(_temp, "other");
            DemoModelCache.Build(other, tiny, DemoWorld.Default);
            Assert.Equal(File.ReadAllBytes(Path.Combine(one, "model.safetensors")), File.ReadAllBytes(Path.Combine(other, "model.safetensors")));
        }
        finally
        {
            TorchSharp.torch.set_num_threads(before);
        }
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
