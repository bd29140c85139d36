using System.Text.Json.Nodes;
using Maple.Data;

namespace Maple.Tests.Datasets;

public sealed class FewShotSamplerTests : IDisposable
{
    readonly MiniRoot r = new();

    public void Dispose() => r.Dispose();

    /// <summary>Paths need not exist for sampling; a class may be short.</summary>
    static ImageDataset Dataset(string root, int[] perClass)
    {
        var items = new List<LabeledImage>();
        for (var c = 0; c < perClass.Length; c++)
            items.AddRange(Enumerable.Range(0, perClass[c]).Select(i => new LabeledImage(Path.Combine(root, $"c{c}", $"{i}.jpg"), c)));
        return new ImageDataset("mini", Enumerable.Range(0, perClass.Length).Select(c => $"class {c}").ToList(), items);
    }

    [Fact]
    public void SamplesKPerClassAndFewerWhereAClassIsShort()
    {
        var train = Dataset("/data/train", [10, 10, 3, 10]);
        var val = Dataset("/data/val", [6, 6, 6, 2]);
        var split = FewShotSampler.Sample(train, val, 4, 1);
        Assert.Equal([4, 4, 3, 4], split.Train.CountsPerClass());
        Assert.Equal([4, 4, 4, 2], split.Validation!.CountsPerClass());
        Assert.Equal(train.Items.Count(i => i.Label == 2), split.Train.Items.Count(i => i.Label == 2));
        Assert.Equal(
            [new ShortClass("train", 2, "class 2", 3, 4), new ShortClass("val", 3, "class 3", 2, 4)],
            split.ShortClasses);
        Assert.Equal(split.Train.Items.Count, split.Train.Items.Distinct().Count());
        Assert.All(split.Train.Items, i => Assert.Contains(i, train.Items));
    }

    [Fact]
    public void ValidationTakesAtMostFourPerClass()
    {
        var train = Dataset("/data/train", [20, 20]);
        var val = Dataset("/data/val", [20, 20]);
        var split = FewShotSampler.Sample(train, val, 16, 3);
        Assert.Equal([16, 16], split.Train.CountsPerClass());
        Assert.Equal([4, 4], split.Validation!.CountsPerClass());
        Assert.Empty(split.ShortClasses);
    }

    [Fact]
    public void SameSeedSameShotsOtherSeedOtherShots()
    {
        var train = Dataset("/data/train", [30, 30, 30]);
        var a = FewShotSampler.Sample(train, null, 2, 1);
        var b = FewShotSampler.Sample(train, null, 2, 1);
        var c = FewShotSampler.Sample(train, null, 2, 2);
        Assert.Equal(a.Train.Items, b.Train.Items);
        Assert.NotEqual(a.Train.Items, c.Train.Items);
        Assert.Null(a.Validation);
    }

    [Fact]
    public void SameSeedWritesTheSameFile()
    {
        var train = Dataset(r["train"], [9, 9, 9]);
        var a = FewShotSampler.LoadOrCreate(r["cache-a"], train, null, 3, 5);
        var b = FewShotSampler.LoadOrCreate(r["cache-b"], train, null, 3, 5);
        var c = FewShotSampler.LoadOrCreate(r["cache-b"], train, null, 3, 6);
        Assert.Equal(File.ReadAllText(a.Path!), File.ReadAllText(b.Path!));
        Assert.NotEqual(a.Train.Items, c.Train.Items);
        Assert.EndsWith(Path.Combine("split_fewshot", "shot_3-seed_6.json"), c.Path);
    }

    [Fact]
    public void PersistsAndRereadsTheSameChoice()
    {
        var train = Dataset(r["train"], [8, 8, 8]);
        var val = Dataset(r["val"], [5, 5, 5]);
        var cache = r["run-cache"];
        var first = FewShotSampler.LoadOrCreate(cache, train, val, 2, 7);
        var path = Path.Combine(cache, "split_fewshot", "shot_2-seed_7.json");
        Assert.Equal(path, first.Path);
        Assert.False(first.Reused);
        Assert.True(File.Exists(path));
        var text = File.ReadAllText(path);
        Assert.Contains("\"shots\": 2", text);
        Assert.Contains("c1/", text);

        var again = FewShotSampler.LoadOrCreate(cache, train, val, 2, 7);
        Assert.True(again.Reused);
        Assert.Equal(first.Train.Items, again.Train.Items);
        Assert.Equal(first.Validation!.Items, again.Validation!.Items);
        Assert.Equal(File.ReadAllText(path), text);

        // The file decides, not the generator: a choice edited by hand is what a rerun uses.
        var json = JsonNode.Parse(text)!;
        var replacement = Enumerable.Range(0, 8).Select(i => $"c0/{i}.jpg")
            .First(p => first.Train.Items.All(item => !item.Path.EndsWith(p, StringComparison.Ordinal)));
        json["train"]!["items"]![0]![0] = replacement;
        File.WriteAllText(path, json.ToJsonString());
        var fromFile = FewShotSampler.LoadOrCreate(cache, train, val, 2, 7);
        Assert.Equal(Path.Combine(r["train"], replacement), fromFile.Train.Items[0].Path);
    }

    [Fact]
    public void BaseAndNovelRunsOfASeedShareTheShots()
    {
        var train = Dataset(r["train"], [6, 6, 6, 6, 6]);
        var cache = r["run-cache"];
        var baseRun = BaseNovelSplit.Subsample(FewShotSampler.LoadOrCreate(cache, train, null, 2, 1).Train, Subset.Base);
        var novelRun = BaseNovelSplit.Subsample(FewShotSampler.LoadOrCreate(cache, train, null, 2, 1).Train, Subset.Novel);
        var all = FewShotSampler.Sample(train, null, 2, 1).Train;
        Assert.Equal(all.Items.Where(i => i.Label < 3).Select(i => i.Path), baseRun.Items.Select(i => i.Path));
        Assert.Equal(all.Items.Where(i => i.Label >= 3).Select(i => i.Path), novelRun.Items.Select(i => i.Path));
        Assert.Equal(3, baseRun.ClassNames.Count);
        Assert.Equal(2, novelRun.ClassNames.Count);
    }

    [Fact]
    public void FileFromOtherDataIsAnError()
    {
        var cache = r["run-cache"];
        FewShotSampler.LoadOrCreate(cache, Dataset(r["train"], [5, 5]), null, 1, 1);
        var other = new ImageDataset("other", ["x", "y"],
            [new LabeledImage(r["train/d0/a.jpg"], 0), new LabeledImage(r["train/d1/b.jpg"], 1)]);
        var e = Assert.Throws<InvalidDataException>(() => FewShotSampler.LoadOrCreate(cache, other, null, 1, 1));
        Assert.Contains("shot_1-seed_1.json", e.Message);
        Assert.Contains("delete it", e.Message);
    }

    [Fact]
    public void SamplesFromABenchmark()
    {
        MiniBenchmarks.EuroSat(r);
        var train = BenchmarkDatasets.Open(r.Root, "eurosat", "train");
        var val = BenchmarkDatasets.Open(r.Root, "eurosat", "val");
        var split = FewShotSampler.LoadOrCreate(r["cache"], train, val, 1, 1);
        Assert.Equal([1, 1, 1, 1], split.Train.CountsPerClass());
        Assert.Equal(train.ClassNames, split.Train.ClassNames);
        Assert.Contains("\"AnnualCrop/AnnualCrop_", File.ReadAllText(split.Path!));
    }
}
