using Maple.Data;

namespace Maple.Tests.Datasets;

public sealed class InspectorTests : IDisposable
{
    readonly MiniRoot r = new();

    public void Dispose() => r.Dispose();

    /// <summary>A mini EuroSAT whose split file has every kind of problem.</summary>
    void BrokenEuroSat()
    {
        MiniBenchmarks.EuroSat(r, splitFile: false);
        r.Bytes("eurosat/2750/Forest/Forest_9.jpg", "this is not a JPEG"u8.ToArray());
        r.SplitFile("eurosat/split_zhou_EuroSAT.json", new()
        {
            ["train"] =
            [
                ("AnnualCrop/AnnualCrop_1.jpg", 0, "AnnualCrop"), ("AnnualCrop/AnnualCrop_1.jpg", 0, "AnnualCrop"),
                ("Forest/Forest_1.jpg", 1, "Forest"), ("Forest/Forest_9.jpg", 1, "Forest"),
                ("HerbaceousVegetation/HerbaceousVegetation_1.jpg", 2, "HerbaceousVegetation"), ("SeaLake/SeaLake_1.jpg", 3, "SeaLake"),
            ],
            ["val"] = [("AnnualCrop/AnnualCrop_2.jpg", 0, "AnnualCrop"), ("Forest/Forest_2.jpg", 1, "Forest"), ("SeaLake/SeaLake_2.jpg", 3, "SeaLake")],
            ["test"] = [("AnnualCrop/AnnualCrop_3.jpg", 0, "AnnualCrop"), ("Forest/Forest_1.jpg", 1, "Forest"), ("SeaLake/SeaLake_77.jpg", 3, "SeaLake"),
                ("HerbaceousVegetation/HerbaceousVegetation_3.jpg", 2, "HerbaceousVegetation")],
        });
    }

    DatasetReport InspectEuroSat(InspectOptions? options = null) =>
        DatasetInspector.Inspect(DatasetSource.SplitNames(null, r.Root, "eurosat"), s => DatasetSource.Open(null, s, dataRoot: r.Root, dataset: "eurosat"), options);

    [Fact]
    public void CountsClassesAndSizes()
    {
        MiniBenchmarks.EuroSat(r);
        var report = InspectEuroSat();
        Assert.Equal(4, report.ClassNames.Count);
        Assert.Equal(["train", "val", "test"], report.Splits.Select(s => s.Name));
        Assert.Equal([8, 4, 8], report.Splits.Select(s => s.Images));
        Assert.Equal([2, 2, 2, 2], report.Splits[0].PerClass);
        Assert.Empty(report.Problems);
        Assert.Equal(20, report.Sizes!.Sampled);
        Assert.Equal((8, 8, 20), report.Sizes.MostCommon[0]);
        Assert.Equal(20, report.Sizes.Formats["Jpeg"]);
    }

    [Fact]
    public void FindsEveryKindOfProblem()
    {
        BrokenEuroSat();
        var report = InspectEuroSat();
        Assert.Equal(r["eurosat/2750/Forest/Forest_9.jpg"], Assert.Single(report.Of(ProblemKind.UnreadableFile)).Path);
        var missing = Assert.Single(report.Of(ProblemKind.MissingFile));
        Assert.Equal("test", missing.Split);
        Assert.Contains("SeaLake_77.jpg", missing.Message);
        Assert.Contains("AnnualCrop_1.jpg", Assert.Single(report.Of(ProblemKind.DuplicatePath)).Message);
        var shared = Assert.Single(report.Of(ProblemKind.SharedBetweenSplits));
        Assert.Contains("Forest_1.jpg", shared.Message);
        Assert.Contains("train and test", shared.Message);
        var empty = Assert.Single(report.Of(ProblemKind.EmptyClass));
        Assert.Equal("val", empty.Split);
        Assert.Contains("Herbaceous Vegetation Land", empty.Message);
    }

    [Fact]
    public void UnreadableSplitIsReportedAndTheOthersInspected()
    {
        MiniBenchmarks.EuroSat(r);
        r.SplitFile("eurosat/split_zhou_EuroSAT.json", new()
        {
            ["train"] = [("Forest/Forest_1.jpg", 0, "Forest")],
            ["val"] = [("Forest/Forest_2.jpg", 0, "Forest")],
            ["test"] = [("../../../etc/passwd", 0, "Forest")],
        });
        var report = InspectEuroSat();
        var load = Assert.Single(report.Of(ProblemKind.LoadError));
        Assert.Contains("outside", load.Message);
        Assert.Equal(2, report.Splits.Count);
    }

    [Fact]
    public void NoReadableSplitThrowsTheFirstError()
    {
        Assert.Throws<DirectoryNotFoundException>(() => InspectEuroSat());
    }

    [Fact]
    public void ImageNetValAndTestAreTheSameImagesNotAProblem()
    {
        MiniBenchmarks.ImageNet(r);
        var report = DatasetInspector.Inspect(["train", "val", "test"], s => BenchmarkDatasets.Open(r.Root, "imagenet", s));
        Assert.Equal("val", report.Splits[2].SameAs);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void ValidatorFindsUnreadableImagesAndSkipsThem()
    {
        var good = r.Image("data/a/good.png");
        var garbage = r.Bytes("data/a/garbage.jpg", [1, 2, 3, 4, 5, 6, 7, 8]);
        var empty = r.Bytes("data/b/empty.png", []);
        var jpeg = File.ReadAllBytes(r.Image("data/b/whole.jpg", width: 64, height: 64));
        var truncated = r.Bytes("data/b/truncated.jpg", jpeg[..(jpeg.Length / 2)]);
        var data = ImageFolder.Load(r["data"]);

        var unreadable = DatasetValidator.FindUnreadable(data, ImageCheck.Decode, maxParallelism: 2);
        Assert.Equal(new[] { garbage, empty, truncated }.Order(StringComparer.Ordinal), unreadable.Select(u => u.Path).Order(StringComparer.Ordinal));
        Assert.Contains("empty", unreadable.Single(u => u.Path == empty).Reason);

        var headers = DatasetValidator.FindUnreadable(data, ImageCheck.Header);
        Assert.Contains(headers, u => u.Path == garbage);
        Assert.DoesNotContain(headers, u => u.Path == good);

        var kept = DatasetValidator.WithoutUnreadable(data, unreadable);
        Assert.Equal(2, kept.Items.Count);
        Assert.Contains("3 unreadable images skipped", kept.Source);
        Assert.Equal(data.ClassNames, kept.ClassNames);
    }

    [Fact]
    public void HeaderGivesSizeWithoutDecoding()
    {
        var header = ImageHeader.Read(r.Image("x/wide.png", width: 12, height: 5));
        Assert.Equal(new ImageHeader(12, 5, "Png"), header);
        var e = Assert.Throws<Maple.Imaging.ImageDecodeException>(() => ImageHeader.Read(r["x/none.png"]));
        Assert.Contains("does not exist", e.Message);
    }

    DatasetReport InspectFolder(string folder, InspectOptions? options = null) =>
        DatasetInspector.Inspect([DatasetSource.FolderSplit], _ => DatasetSource.Open(folder, allowEmptyClasses: true), options);

    [Fact]
    public void AnEmptyClassFolderIsAProblemNotAnError()
    {
        r.Images("folder/cat", 2, ext: ".png");
        Directory.CreateDirectory(r["folder/dog"]);
        r.Images("folder/fox", 1, ext: ".png");

        var report = InspectFolder(r["folder"]);

        Assert.Equal(["cat", "dog", "fox"], report.ClassNames);
        Assert.Equal([2, 0, 1], report.Splits.Single().PerClass);
        var problem = Assert.Single(report.Problems);
        Assert.Equal(ProblemKind.EmptyClass, problem.Kind);
        Assert.Equal("class 1 'dog' has no images in all", problem.Message);
        // Training still refuses it: an empty class cannot be learned.
        Assert.Throws<InvalidDataException>(() => DatasetSource.Open(r["folder"]));
    }

    [Fact]
    public void ACopiedImageIsFoundByItsBytesWhateverItsName()
    {
        var cats = r.Images("folder/cat", 3, ext: ".png");
        r.Images("folder/dog", 2, ext: ".png");
        var copy = r.Bytes("folder/dog/not_a_cat.png", File.ReadAllBytes(r[cats[1]]));
        // Same size, other bytes: not a copy.
        var cat3 = File.ReadAllBytes(r[cats[2]]);
        cat3[^20] ^= 0xFF;
        r.Bytes("folder/dog/almost.png", cat3);

        var report = InspectFolder(r["folder"]);

        var problem = Assert.Single(report.Problems);
        Assert.Equal(ProblemKind.SameContent, problem.Kind);
        Assert.Equal($"same bytes: {r[cats[1]]} (class 'cat', all), {copy} (class 'dog', all)", problem.Message);
        // Not compared when images are not read.
        Assert.Empty(InspectFolder(r["folder"], new InspectOptions { Verify = null }).Problems);
    }

    [Fact]
    public void AFolderWithoutAnyImageIsAProblem()
    {
        Directory.CreateDirectory(r["folder/cat"]);
        var problem = Assert.Single(InspectFolder(r["folder"]).Problems);
        Assert.Equal(ProblemKind.EmptyClass, problem.Kind);
        Assert.Equal("split 'all' has no images", problem.Message);
    }
}
