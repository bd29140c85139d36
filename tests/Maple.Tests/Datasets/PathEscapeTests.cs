using Maple.Data;

namespace Maple.Tests.Datasets;

/// <summary>Every layout keeps paths inside the dataset folder: split files and text lists alike.</summary>
public sealed class PathEscapeTests : IDisposable
{
    readonly MiniRoot r = new();

    public void Dispose() => r.Dispose();

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("AnnualCrop/../../../secret.jpg")]
    [InlineData("/etc/passwd")]
    public void SplitFileEntryOutsideTheRootIsRefused(string escape)
    {
        MiniBenchmarks.EuroSat(r);
        r.SplitFile("eurosat/split_zhou_EuroSAT.json", new()
        {
            ["train"] = [("Forest/Forest_1.jpg", 1, "Forest"), (escape, 0, "AnnualCrop")],
            ["val"] = [],
            ["test"] = [],
        });
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "eurosat", "train"));
        Assert.Contains("train[1]", e.Message);
        Assert.Contains(escape, e.Message);
        Assert.Contains("outside", e.Message);
    }

    [Fact]
    public void AbsolutePathInsideTheRootIsAccepted()
    {
        MiniBenchmarks.EuroSat(r);
        r.SplitFile("eurosat/split_zhou_EuroSAT.json", new()
        {
            ["train"] = [(r["eurosat/2750/Forest/Forest_1.jpg"], 0, "Forest")],
        });
        Assert.Single(BenchmarkDatasets.Open(r.Root, "eurosat", "train").Items);
    }

    [Fact]
    public void FgvcListEntryOutsideTheRootIsRefused()
    {
        MiniBenchmarks.FgvcAircraft(r);
        r.Text("fgvc_aircraft/images_variant_train.txt", "1000001 707-320", "../../../etc/passwd 707-320");
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "fgvc_aircraft", "train"));
        Assert.Contains("images_variant_train.txt:2", e.Message);
        Assert.Contains("outside", e.Message);
    }

    [Fact]
    public void PetsListEntryOutsideTheRootIsRefused()
    {
        MiniBenchmarks.OxfordPets(r);
        r.Text("oxford_pets/annotations/test.txt", "/etc/passwd_1 1 1 1");
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "oxford_pets", "test"));
        Assert.Contains("test.txt:1", e.Message);
    }

    [Fact]
    public void Sun397ListEntryOutsideTheRootIsRefused()
    {
        MiniBenchmarks.Sun397(r);
        r.Text("sun397/Testing_01.txt", "/a/abbey/../../../../outside.jpg");
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "sun397", "test"));
        Assert.Contains("Testing_01.txt:1", e.Message);
    }

    [Fact]
    public void Ucf101ListEntryOutsideTheRootIsRefused()
    {
        MiniBenchmarks.Ucf101(r);
        r.Text("ucf101/ucfTrainTestlist/testlist01.txt", "YoYo/../../../../x.avi");
        Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "ucf101", "test"));
    }

    [Fact]
    public void Food101ListEntryOutsideTheRootIsRefused()
    {
        MiniBenchmarks.Food101(r);
        r.Text("food-101/meta/test.txt", "apple_pie/../../../../etc/passwd");
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "food101", "test"));
        Assert.Contains("test.txt:1", e.Message);
    }

    [Fact]
    public void StanfordCarsSplitEntryOutsideTheDatasetFolderIsRefused()
    {
        MiniBenchmarks.StanfordCars(r);
        r.SplitFile("stanford_cars/split_zhou_StanfordCars.json", new() { ["test"] = [("../eurosat/x.jpg", 0, "car")] });
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "stanford_cars", "test"));
        Assert.Contains("test[0]", e.Message);
    }
}
