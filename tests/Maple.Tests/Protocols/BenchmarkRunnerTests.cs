using System.Text.Json;
using Maple.Data;
using Maple.Evaluation;
using Maple.Evaluation.Ood;
using Maple.Evaluation.Protocols;
using Maple.Prompting;
using Maple.Tests.Training;

namespace Maple.Tests.Protocols;

/// <summary>
/// The protocols end to end on miniature copies of the benchmark layouts with the tiny CLIP (fp32, one thread),
/// one epoch per training: cells, resumption, tables, files, and numbers recomputed independently.
/// </summary>
public sealed class BenchmarkRunnerTests(TinyClipFixture tiny) : IClassFixture<TinyClipFixture>
{
    const double Exact = 1e-9;

    BenchmarkSettings Settings(ProtocolData data, string output, string[] datasets, string[] methods, int[] seeds) =>
        new(data.Root, datasets, methods, seeds, output) { Epochs = 1, Depth = 2, EvalBatchSize = 8 };

    [Fact]
    public void BaseToNovelWritesCellsTablesAndFilesWithIndependentlyCheckedNumbers()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var settings = Settings(data, temp["out"], ["eurosat", "dtd"], ["zeroshot", "maple"], [1, 2]);
        var report = new BenchmarkRunner(tiny.Clip, settings).BaseToNovel();

        Assert.Equal(["EuroSAT", "DescribableTextures"], report.Datasets);
        Assert.Equal(["zeroshot", "maple"], report.Methods);
        foreach (var dataset in report.Datasets)
            foreach (var method in report.Methods)
                foreach (var seed in new[] { 1, 2 })
                    Assert.True(File.Exists(temp[$"out/base2novel/{method}/{dataset}/shots16-seed{seed}/result.json"]), $"{method} {dataset} {seed}");

        // HM is the harmonic mean of the mean Base and Novel accuracies, for every dataset and the average.
        foreach (var dataset in (string[])[.. report.Datasets, BenchmarkReport.Average])
        {
            foreach (var method in report.Methods)
            {
                var (b, n) = (report.Summary(method, dataset, "base").Mean, report.Summary(method, dataset, "novel").Mean);
                Assert.Equal(2, report.Summary(method, dataset, "base").Count);
                Assert.Equal(2 * b * n / (b + n), report.HarmonicMean(method, dataset), 12);
            }
        }
        // The average row averages the datasets seed by seed; with every seed complete its mean is the mean of the datasets' means.
        foreach (var metric in new[] { "base", "novel" })
            Assert.Equal(report.Datasets.Average(d => report.Summary("maple", d, metric).Mean), report.Summary("maple", BenchmarkReport.Average, metric).Mean, 9);

        var markdown = report.ToMarkdown();
        foreach (var heading in new[] { "## average", "## EuroSAT", "## DescribableTextures" })
            Assert.Contains(heading, markdown);
        Assert.Contains("| method | Base | Novel | HM | published Base / Novel / HM |", markdown);
        Assert.Contains("| maple | ", markdown);
        Assert.Contains("| zeroshot | ", markdown);
        Assert.Contains("prompt depth 2 for the deep presets (overridden", markdown);
        Assert.Contains("94.07 / 73.23 / 82.35", markdown); // the paper's MaPLe EuroSAT numbers beside ours
        Assert.DoesNotContain("82.28", markdown); // its 11-dataset average is not comparable with our 2-dataset one

        // Zero-shot is scored once per dataset; its other seed copies the result and says so.
        var copied = CellResult.TryLoad(temp["out"], new CellKey("base2novel", "zeroshot", "EuroSAT", 2, 16))!;
        Assert.Contains("copied from base2novel/zeroshot/EuroSAT/shots16-seed1", copied.Note);
        Assert.False(Directory.Exists(temp["out/training/zeroshot"])); // nothing to train

        // One cell recomputed from its saved prompts with the evaluator on the base and novel test subsets.
        var cell = CellResult.TryLoad(temp["out"], new CellKey("base2novel", "maple", "EuroSAT", 2, 16))!;
        var prompts = Path.Combine(BenchmarkRunner.TrainingFolder(temp["out"], "maple", "EuroSAT", Subset.Base, 16, 2), "prompt.safetensors");
        using (var checkpoint = PromptCheckpoint.Read(prompts))
        {
            Assert.Equal(2, checkpoint.Config.TextDepth); // the override reached the training
            Assert.Equal(2, checkpoint.Config.VisionDepth);
            using var learner = checkpoint.CreateLearner(tiny.Clip.Model, tiny.Clip.Tokenizer);
            var test = BenchmarkDatasets.Open(data.Root, "EuroSAT", "test");
            foreach (var subset in new[] { Subset.Base, Subset.Novel })
            {
                var part = BaseNovelSplit.Subsample(test, subset);
                using var model = new PromptedClip(tiny.Clip.Model, learner, tiny.Clip.Tokenizer, part.ClassNames);
                var accuracy = 100 * Evaluator.Evaluate(model, part, batchSize: 8).Metrics.Accuracy;
                Assert.Equal(accuracy, cell.Scores[subset.ToString().ToLowerInvariant()], Exact);
            }
        }

        foreach (var file in new[] { "base2novel.md", "base2novel.csv", "base2novel.json", "plots/base2novel/average.png", "plots/base2novel/EuroSAT.png",
                     "plots/base2novel/DescribableTextures.png", "training/maple/EuroSAT/base/shots16-seed1/curves.png" })
            Assert.True(new FileInfo(temp[$"out/{file}"]).Length > 100, file);
        Assert.Equal(markdown, File.ReadAllText(temp["out/base2novel.md"]));
        var csv = File.ReadAllLines(temp["out/base2novel.csv"]);
        Assert.Equal(1 + 2 * 3 * 3, csv.Length); // 2 methods x (2 datasets + average) x (base, novel, hm)
        using var json = JsonDocument.Parse(File.ReadAllText(temp["out/base2novel.json"]));
        var hm = json.RootElement.GetProperty("summary").EnumerateArray()
            .First(r => r.GetProperty("metric").GetString() == "hm" && r.GetProperty("dataset").GetString() == "average" && r.GetProperty("method").GetString() == "maple");
        Assert.Equal(report.HarmonicMean("maple", BenchmarkReport.Average), hm.GetProperty("mean").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, hm.GetProperty("std").ValueKind);
        Assert.Equal(JsonValueKind.Null, hm.GetProperty("published").ValueKind);
        var euroSat = json.RootElement.GetProperty("summary").EnumerateArray()
            .First(r => r.GetProperty("metric").GetString() == "hm" && r.GetProperty("dataset").GetString() == "EuroSAT" && r.GetProperty("method").GetString() == "maple");
        Assert.Equal(82.35, euroSat.GetProperty("published").GetDouble());
        Assert.Equal(8, json.RootElement.GetProperty("cells").GetArrayLength());
        Assert.Empty(Directory.GetFiles(temp["out"], "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void ZeroShotCellsUseTheDatasetsTemplateAndAreRescoredWhenTheTemplatesChange()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var settings = Settings(data, temp["out"], ["eurosat"], ["zeroshot"], [1]);
        var test = BenchmarkDatasets.Open(data.Root, "EuroSAT", "test");
        const string satellite = "a centered satellite photo of {}.";
        const string plain = "a photo of a {}.";

        var report = new BenchmarkRunner(tiny.Clip, settings).FewShotLearning([1]);
        var key = new CellKey("few-shot", "zeroshot", "EuroSAT", 1, 1);
        var cell = CellResult.TryLoad(temp["out"], key)!;
        Assert.Equal(ZeroShot(test, satellite).Accuracy, cell.Scores["accuracy"], Exact);
        Assert.Equal(satellite, cell.Recipe["eval:templates"]);
        Assert.Contains("zero-shot CLIP words each benchmark's classes with its own template", report.ToMarkdown());

        // The accuracy of 8 flat test images cannot tell the templates apart; MCM scores can. With 8 ID images the
        // FPR95 threshold is the lowest ID score: min over the images of max softmax(cosines), computed here.
        var spec = new OodBenchmarkSpec("eurosat", [data.FlatOod], new OodScoreOptions(OodScore.Mcm), [1]);
        double Threshold()
        {
            using var json = JsonDocument.Parse(File.ReadAllText(temp["out/ood-mcm/zeroshot/EuroSAT/shots1-seed1/ood.json"]));
            return json.RootElement.GetProperty("ood")[0].GetProperty("fpr95_threshold").GetDouble();
        }
        var (withSatellite, withPlain) = (ZeroShot(test, satellite).LowestMcm, ZeroShot(test, plain).LowestMcm);
        Assert.True(Math.Abs(withSatellite - withPlain) > 1e-4, $"{withSatellite} vs {withPlain}: the templates must differ here");
        new BenchmarkRunner(tiny.Clip, settings).Ood(spec);
        Assert.Equal(withSatellite, Threshold(), 5e-6);

        // Other templates into the same folder: zero-shot cells are scored again (nothing was trained to refuse).
        var overridden = settings with { ZeroShotTemplates = [plain] };
        var rerun = new BenchmarkRunner(tiny.Clip, overridden).FewShotLearning([1]);
        cell = CellResult.TryLoad(temp["out"], key)!;
        Assert.Equal(ZeroShot(test, plain).Accuracy, cell.Scores["accuracy"], Exact);
        Assert.Equal(plain, cell.Recipe["eval:templates"]);
        Assert.Contains("zero-shot CLIP prompts: \"a photo of a {}.\" for every dataset (overridden", rerun.ToMarkdown());
        new BenchmarkRunner(tiny.Clip, overridden).Ood(spec);
        Assert.Equal(withPlain, Threshold(), 5e-6);
    }

    /// <summary>
    /// Zero-shot CLIP computed here from plain CLIP features and prompts formatted by hand: top-1 accuracy (%) and the
    /// lowest MCM score (max softmax of the cosines, T = 1) over the images.
    /// </summary>
    (double Accuracy, double LowestMcm) ZeroShot(ImageDataset test, string template)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var _ = TorchSharp.torch.no_grad();
        var model = tiny.Clip.Model;
        var images = new FeatureExtractor(tiny.Clip).ImageFeatures(test.Items.Select(i => i.Path).ToList(), normalize: true);
        var prompts = test.ClassNames.Select(c => template.Replace("{}", c.Replace('_', ' '))).ToList();
        var text = model.EncodeText(tiny.Clip.Tokenizer.Tokenize(prompts, model.Config.Text.ContextLength));
        var cosines = images.matmul((text / text.norm(-1, keepdim: true)).t()).to(TorchSharp.torch.ScalarType.Float64);
        var predicted = cosines.argmax(-1).data<long>().ToArray();
        var accuracy = 100.0 * test.Items.Where((item, i) => predicted[i] == item.Label).Count() / test.Items.Count;
        return (accuracy, cosines.softmax(-1).max(-1).values.min().item<double>());
    }

    [Fact]
    public void AnInterruptedBenchmarkResumesWithoutRedoingFinishedCells()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        BenchmarkSettings For(string output) => Settings(data, output, ["eurosat"], ["maple"], [1, 2]) with { Epochs = 2 };

        var uninterrupted = new BenchmarkRunner(tiny.Clip, For(temp["full"])).BaseToNovel();

        // Cancel during the second cell's training, after its first epoch's checkpoint.
        using var cancel = new CancellationTokenSource();
        var killed = new RecordingObserver((o, p) =>
        {
            if (o.Current!.Seed == 2)
                cancel.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => new BenchmarkRunner(tiny.Clip, For(temp["killed"]), killed).BaseToNovel(cancel.Token));
        var first = temp["killed/base2novel/maple/EuroSAT/shots16-seed1/result.json"];
        var secondRun = BenchmarkRunner.TrainingFolder(temp["killed"], "maple", "EuroSAT", Subset.Base, 16, 2);
        Assert.True(File.Exists(first));
        Assert.False(File.Exists(temp["killed/base2novel/maple/EuroSAT/shots16-seed2/result.json"]));
        Assert.True(File.Exists(Path.Combine(secondRun, "checkpoints", "epoch-001.safetensors")));
        Assert.False(File.Exists(Path.Combine(secondRun, "prompt.safetensors")));
        var firstBytes = File.ReadAllBytes(first);
        var firstTime = File.GetLastWriteTimeUtc(first);

        var resumed = new RecordingObserver();
        var report = new BenchmarkRunner(tiny.Clip, For(temp["killed"]), resumed).BaseToNovel();

        Assert.Equal([true, false], resumed.Started.Select(s => s.Reused));
        Assert.Equal(firstBytes, File.ReadAllBytes(first));
        Assert.Equal(firstTime, File.GetLastWriteTimeUtc(first));
        // Only the second epoch of the second cell was trained again.
        Assert.NotEmpty(resumed.Steps);
        Assert.All(resumed.Steps, s => Assert.Equal((2, 1), (s.Cell.Seed, s.Progress.Epoch)));
        Assert.Contains("resumed from", File.ReadAllText(Path.Combine(secondRun, "train.log")));

        Assert.Equal(uninterrupted.ToCsv(), report.ToCsv());
        Assert.Equal(File.ReadAllText(temp["full/base2novel.md"]), File.ReadAllText(temp["killed/base2novel.md"]));

        // A rerun with another recipe is refused instead of mixing its numbers with the saved ones.
        var changed = Assert.Throws<InvalidDataException>(() => new BenchmarkRunner(tiny.Clip, For(temp["killed"]) with { Epochs = 3 }).BaseToNovel());
        Assert.Contains("training", changed.Message);
        Assert.Contains("another output folder", changed.Message);
    }

    [Fact]
    public void CrossDatasetAndDomainGeneralizationShareTheImageNetTraining()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var settings = Settings(data, temp["out"], ["eurosat", "dtd"], ["zeroshot", "maple"], [1]) with { Depth = null };

        var cross = new BenchmarkRunner(tiny.Clip, settings).CrossDataset();
        // The cells keep the method's name; maple trains as its authors' cross-dataset config, maple-transfer, and the report says so.
        Assert.Equal(["zeroshot", "maple"], cross.Methods);
        Assert.Contains("maple trains as maple-transfer, its authors' config for this protocol", cross.Notes);
        Assert.Equal("ImageNet", cross.Source);
        Assert.Equal(["ImageNet", "EuroSAT", "DescribableTextures", BenchmarkReport.Average], cross.Columns);
        // The average is over the targets only.
        foreach (var method in cross.Methods)
        {
            Assert.Equal((cross.Summary(method, "EuroSAT", "accuracy").Mean + cross.Summary(method, "DescribableTextures", "accuracy").Mean) / 2,
                cross.Summary(method, BenchmarkReport.Average, "accuracy").Mean, 9);
        }
        var markdown = cross.ToMarkdown();
        Assert.Contains("| method | ImageNet (source) | EuroSAT | DescribableTextures | average (targets) |", markdown);
        Assert.Contains("| maple, published | 70.72 | 48.06 | 46.49 | – |", markdown);
        var source = BenchmarkRunner.TrainingFolder(temp["out"], "maple-transfer", "ImageNet", Subset.All, 16, 1);
        Assert.True(File.Exists(Path.Combine(source, "prompt.safetensors")));
        var sourceCell = temp["out/transfer-source/maple/ImageNet/shots16-seed1/result.json"];
        Assert.True(File.Exists(sourceCell));
        var sourceTime = File.GetLastWriteTimeUtc(sourceCell);

        // Domain generalisation afterwards: no training at all, the ImageNet cells reused.
        var observer = new RecordingObserver();
        var domain = new BenchmarkRunner(tiny.Clip, settings with { Datasets = [] }, observer).DomainGeneralization();
        Assert.Empty(observer.Steps);
        Assert.All(observer.Started.Where(s => s.Cell.Dataset == "ImageNet"), s => Assert.True(s.Reused));
        Assert.Equal(sourceTime, File.GetLastWriteTimeUtc(sourceCell));
        Assert.Equal(["ImageNet", "ImageNetV2", "ImageNetSketch", "ImageNetA", "ImageNetR"], domain.Datasets);
        Assert.Equal(cross.Summary("maple", "ImageNet", "accuracy"), domain.Summary("maple", "ImageNet", "accuracy"));
        Assert.True(File.Exists(temp["out/domain-generalization.md"]));
        Assert.True(File.Exists(temp["out/plots/domain-generalization/accuracy.png"]));

        // ImageNet-A and -R are scored over their own 200 (here 2 and 3) classes, not ImageNet's.
        using var checkpoint = PromptCheckpoint.Read(Path.Combine(source, "prompt.safetensors"));
        using var trained = checkpoint.CreateLearner(tiny.Clip.Model, tiny.Clip.Tokenizer);
        using var zeroShot = PromptLearners.Create(PromptConfig.ZeroShot(), tiny.Clip.Model, tiny.Clip.Tokenizer, 0);
        foreach (var (variant, classes) in new[] { ("ImageNetA", 2), ("ImageNetR", 3) })
        {
            var test = BenchmarkDatasets.Open(data.Root, variant, "test");
            Assert.Equal(classes, test.ClassNames.Count);
            foreach (var (method, learner) in new[] { ("zeroshot", zeroShot), ("maple", (PromptLearner)trained) })
            {
                using var model = new PromptedClip(tiny.Clip.Model, learner, tiny.Clip.Tokenizer, test.ClassNames);
                Assert.Equal(100 * Evaluator.Evaluate(model, test, batchSize: 8).Metrics.Accuracy, domain.Summary(method, variant, "accuracy").Mean, Exact);
            }
        }
    }

    [Fact]
    public void FewShotKeepsEachShotCountApart()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var settings = Settings(data, temp["out"], ["eurosat", "dtd"], ["zeroshot", "maple"], [1]);
        var report = new BenchmarkRunner(tiny.Clip, settings).FewShotLearning([2, 1]);

        Assert.Equal([1, 2], report.Shots);
        Assert.Throws<ArgumentException>(() => report.Summary("maple", "EuroSAT", "accuracy"));
        foreach (var shots in new[] { 1, 2 })
        {
            var cells = report.Datasets.Select(d => CellResult.TryLoad(temp["out"], new CellKey("few-shot", "maple", d, 1, shots))!.Scores["accuracy"]).ToList();
            Assert.Equal(cells.Average(), report.Summary("maple", BenchmarkReport.Average, "accuracy", shots).Mean, 12);
            Assert.True(File.Exists(Path.Combine(BenchmarkRunner.TrainingFolder(temp["out"], "maple", "EuroSAT", Subset.All, shots, 1), "prompt.safetensors")));
        }
        var markdown = report.ToMarkdown();
        Assert.Contains("## 1 shot\n", markdown);
        Assert.Contains("## 2 shots", markdown);
        Assert.Equal(2, markdown.Split("| method | EuroSAT | DescribableTextures | average |").Length - 1);
        Assert.Contains("copied from few-shot/zeroshot/EuroSAT/shots1-seed1",
            CellResult.TryLoad(temp["out"], new CellKey("few-shot", "zeroshot", "EuroSAT", 1, 2))!.Note);
        foreach (var plot in new[] { "accuracy-1shots.png", "accuracy-2shots.png", "shots-average.png", "shots-EuroSAT.png" })
            Assert.True(File.Exists(temp[$"out/plots/few-shot/{plot}"]), plot);
        Assert.Equal(1 + 2 * 2 * 3, File.ReadAllLines(temp["out/few-shot.csv"]).Length); // shots x methods x (2 datasets + average)
    }

    [Fact]
    public void OodBenchmarkReportsEachSetAndTheAverageAndResumes()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var settings = Settings(data, temp["out"], [], ["zeroshot", "maple"], [1, 2]);
        var spec = new OodBenchmarkSpec("eurosat", ["dtd", data.FlatOod], new OodScoreOptions(OodScore.Mcm), [2]);
        var report = new BenchmarkRunner(tiny.Clip, settings).Ood(spec);

        Assert.Equal("ood-mcm", report.Protocol);
        Assert.Equal("EuroSAT", report.IdDataset);
        Assert.Equal(["DescribableTextures", "flat-ood"], report.OodSets);
        foreach (var method in new[] { "zeroshot", "maple" })
        {
            foreach (var seed in new[] { 1, 2 })
            {
                var folder = temp[$"out/ood-mcm/{method}/EuroSAT/shots2-seed{seed}"];
                Assert.True(File.Exists(Path.Combine(folder, "result.json")));
                var cell = CellResult.TryLoad(temp["out"], new CellKey("ood-mcm", method, "EuroSAT", seed, 2))!;
                // Zero-shot is scored once (the ID test split does not depend on the seed); its copy points to that cell.
                Assert.Equal(method == "zeroshot" && seed == 2, cell.Note is not null);
                if (cell.Note is null)
                    Assert.True(new FileInfo(Path.Combine(folder, "ood.roc.png")).Length > 1000);
                foreach (var metric in OodBenchmarkReport.MetricNames)
                {
                    var perSet = report.OodSets.Select(s => cell.Scores[OodBenchmarkReport.ScoreName(s, metric)]).ToList();
                    Assert.All(perSet, v => Assert.InRange(v, 0, 100));
                    Assert.Equal(perSet.Average(), cell.Scores[OodBenchmarkReport.ScoreName(OodBenchmarkReport.Average, metric)], 9);
                }
            }
        }
        var auroc = new[] { 1, 2 }.Select(s => CellResult.TryLoad(temp["out"], new CellKey("ood-mcm", "maple", "EuroSAT", s, 2))!.Scores["flat-ood/auroc"]).ToList();
        Assert.Equal(ScoreSummary.Of(auroc), report.Summary("maple", "flat-ood", "auroc"));

        // One cell recomputed from its saved prompts: the ID test split against the two OOD sets.
        var prompts = Path.Combine(BenchmarkRunner.TrainingFolder(temp["out"], "maple", "EuroSAT", Subset.All, 2, 1), "prompt.safetensors");
        using (var checkpoint = PromptCheckpoint.Read(prompts))
        {
            using var learner = checkpoint.CreateLearner(tiny.Clip.Model, tiny.Clip.Tokenizer);
            var id = BenchmarkDatasets.Open(data.Root, "EuroSAT", "test");
            NamedDataset[] ood = [new("DescribableTextures", BenchmarkDatasets.Open(data.Root, "DescribableTextures", "test")), new("flat-ood", OodData.Open(data.FlatOod))];
            var expected = OodEvaluation.Run(tiny.Clip.Model, learner, tiny.Clip.Tokenizer, id, ood, new OodScoreOptions(OodScore.Mcm), batchSize: 8);
            var cell = CellResult.TryLoad(temp["out"], new CellKey("ood-mcm", "maple", "EuroSAT", 1, 2))!;
            foreach (var set in expected.Sets)
            {
                Assert.Equal(100 * set.Metrics.Auroc, cell.Scores[$"{set.Name}/auroc"], Exact);
                Assert.Equal(100 * set.Metrics.Aupr, cell.Scores[$"{set.Name}/aupr"], Exact);
                Assert.Equal(100 * set.Metrics.Fpr95, cell.Scores[$"{set.Name}/fpr95"], Exact);
            }
        }

        var markdown = report.ToMarkdown();
        Assert.Contains("| method | DescribableTextures FPR95 ↓ | DescribableTextures AUROC ↑ | flat-ood FPR95 ↓ | flat-ood AUROC ↑ | average FPR95 ↓ | average AUROC ↑ |", markdown);
        Assert.Contains("## AUPR", markdown);
        foreach (var file in new[] { "ood-mcm.md", "ood-mcm.csv", "ood-mcm.json", "plots/ood-mcm/auroc.png", "plots/ood-mcm/fpr95.png", "plots/ood-mcm/aupr.png" })
            Assert.True(File.Exists(temp[$"out/{file}"]), file);
        Assert.Equal(1 + 2 * 3 * 3, File.ReadAllLines(temp["out/ood-mcm.csv"]).Length); // methods x (2 sets + average) x metrics

        // A rerun reuses every cell; another score is another protocol beside it.
        var again = new RecordingObserver();
        Assert.Equal(report.ToCsv(), new BenchmarkRunner(tiny.Clip, settings, again).Ood(spec).ToCsv());
        Assert.All(again.Started, s => Assert.True(s.Reused));
        Assert.Equal(0, again.Scorings);
        var energy = new BenchmarkRunner(tiny.Clip, settings with { Methods = ["zeroshot"], Seeds = [1] }).Ood(spec with { Score = new OodScoreOptions(OodScore.Energy) });
        Assert.Equal("ood-energy", energy.Protocol);
        Assert.True(File.Exists(temp["out/ood-energy.md"]));
    }

    [Fact]
    public void PresetsThatDoNotFitTheBackboneAskForAnExplicitDepth()
    {
        using var data = new ProtocolData();
        using var temp = new TempFolder();
        var settings = Settings(data, temp["out"], ["eurosat"], ["maple"], [1]) with { Depth = null };
        var error = Assert.Throws<InvalidSettingException>(() => new BenchmarkRunner(tiny.Clip, settings).BaseToNovel());
        Assert.Equal(nameof(BenchmarkSettings.Depth), error.Setting);
        Assert.Contains("at most 3", error.Message);
        Assert.False(Directory.Exists(temp["out/base2novel"]));
    }
}
