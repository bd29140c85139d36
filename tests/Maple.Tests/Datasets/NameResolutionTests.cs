using Maple.Data;

namespace Maple.Tests.Datasets;

public sealed class NameResolutionTests : IDisposable
{
    readonly MiniRoot r = new();

    public void Dispose() => r.Dispose();

    [Theory]
    [InlineData("eurosat", "EuroSAT")]
    [InlineData("EuroSAT", "EuroSAT")]
    [InlineData("oxford_pets", "OxfordPets")]
    [InlineData("OxfordPets", "OxfordPets")]
    [InlineData("Oxford-Pets", "OxfordPets")]
    [InlineData("imagenet-a", "ImageNetA")]
    [InlineData("ImageNet_A", "ImageNetA")]
    [InlineData("imagenet-adversarial", "ImageNetA")]
    [InlineData("imagenet-r", "ImageNetR")]
    [InlineData("imagenetv2", "ImageNetV2")]
    [InlineData("imagenet-sketch", "ImageNetSketch")]
    [InlineData("imagenet", "ImageNet")]
    [InlineData("caltech-101", "Caltech101")]
    [InlineData("stanford_cars", "StanfordCars")]
    [InlineData("oxford_flowers", "OxfordFlowers")]
    [InlineData("Flowers102", "OxfordFlowers")]
    [InlineData("food-101", "Food101")]
    [InlineData("fgvc_aircraft", "FGVCAircraft")]
    [InlineData("SUN397", "SUN397")]
    [InlineData("dtd", "DescribableTextures")]
    [InlineData("ucf101", "UCF101")]
    public void NameVariantsResolve(string name, string expected) => Assert.Equal(expected, BenchmarkDatasets.Resolve(name).Name);

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<UserInputException>(() => BenchmarkDatasets.Resolve("cifar10"));
        Assert.Contains("cifar10", e.Message);
        Assert.Contains("EuroSAT", e.Message);
        Assert.False(BenchmarkDatasets.IsKnown("cifar10"));
    }

    [Fact]
    public void FolderNamedInAnotherSpellingIsFound()
    {
        r.Images("EuroSAT/2750/Forest", 5);
        Assert.Equal(r["EuroSAT"], BenchmarkDatasets.FindFolder(r.Root, "eurosat"));
        Assert.Equal(2, BenchmarkDatasets.Open(r.Root, "eurosat", "train").Items.Count);
    }

    [Fact]
    public void RootThatIsTheDatasetFolderItselfIsAccepted()
    {
        MiniBenchmarks.EuroSat(r);
        Assert.Equal(r["eurosat"], BenchmarkDatasets.FindFolder(r["eurosat"], "EuroSAT"));
        MiniBenchmarks.FgvcAircraft(r);
        Assert.Equal(6, BenchmarkDatasets.Open(r["fgvc_aircraft"], "aircraft", "train").Items.Count);
    }

    [Fact]
    public void DatasetSourceOpensBenchmarksByName()
    {
        MiniBenchmarks.Dtd(r);
        var test = DatasetSource.Open(null, "test", dataRoot: r.Root, dataset: "dtd");
        Assert.Equal(3, test.Items.Count);
        Assert.Equal(["train", "val", "test"], DatasetSource.SplitNames(null, r.Root, "dtd"));
        Assert.Throws<UserInputException>(() => DatasetSource.Open(null, "test"));
    }
}
