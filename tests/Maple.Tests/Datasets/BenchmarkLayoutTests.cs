using Maple.Data;

namespace Maple.Tests.Datasets;

public sealed class BenchmarkLayoutTests : IDisposable
{
    readonly MiniRoot r = new();

    public void Dispose() => r.Dispose();

    static int[] Counts(ImageDataset d) => d.CountsPerClass();

    [Fact]
    public void EuroSatSplitFileGetsCoOpsClassNames()
    {
        MiniBenchmarks.EuroSat(r);
        var train = BenchmarkDatasets.Open(r.Root, "eurosat", "train");
        Assert.Equal(["Annual Crop Land", "Forest", "Herbaceous Vegetation Land", "Sea or Lake"], train.ClassNames);
        Assert.Equal([2, 2, 2, 2], Counts(train));
        Assert.Equal([1, 1, 1, 1], Counts(BenchmarkDatasets.Open(r.Root, "EuroSAT", "val")));
        var test = BenchmarkDatasets.Open(r.Root, "EuroSAT", "test");
        Assert.Equal([2, 2, 2, 2], Counts(test));
        Assert.Equal(r["eurosat/2750/AnnualCrop/AnnualCrop_4.jpg"], test.Items[0].Path);
        Assert.Contains("split_zhou_EuroSAT.json", train.Source);
    }

    [Fact]
    public void EuroSatWithoutSplitFileIsASeededFiftyTwentyThirtySplit()
    {
        MiniBenchmarks.EuroSat(r, splitFile: false);
        var train = BenchmarkDatasets.Open(r.Root, "eurosat", "train");
        var val = BenchmarkDatasets.Open(r.Root, "eurosat", "val");
        var test = BenchmarkDatasets.Open(r.Root, "eurosat", "test");
        Assert.Equal("Sea or Lake", train.ClassNames[3]);
        // 5 images: round(2.5) = 2 (half to even, as Python), round(1.0) = 1, the rest 2.
        Assert.Equal([2, 2, 2, 2], Counts(train));
        Assert.Equal([1, 1, 1, 1], Counts(val));
        Assert.Equal([2, 2, 2, 2], Counts(test));
        var all = train.Items.Concat(val.Items).Concat(test.Items).Select(i => i.Path).ToList();
        Assert.Equal(20, all.Distinct().Count());
        Assert.Equal(train.Items, BenchmarkDatasets.Open(r.Root, "eurosat", "train").Items);
        Assert.Contains("seed", train.Source);
    }

    [Fact]
    public void Caltech101LeavesOutBackgroundAndFacesEasyAndRenames()
    {
        MiniBenchmarks.Caltech101(r);
        var train = BenchmarkDatasets.Open(r.Root, "Caltech101", "train");
        // Ordinal order: "Faces" < "accordion" < "airplanes".
        Assert.Equal(["face", "accordion", "airplane"], train.ClassNames);
        Assert.Equal([2, 2, 2], Counts(train));
        Assert.Equal([1, 1, 1], Counts(BenchmarkDatasets.Open(r.Root, "caltech-101", "val")));
        Assert.Equal([1, 1, 1], Counts(BenchmarkDatasets.Open(r.Root, "caltech", "test")));
        Assert.DoesNotContain(train.Items, i => i.Path.Contains("BACKGROUND_Google") || i.Path.Contains("Faces_easy"));
    }

    [Fact]
    public void RandomSplitRefusesClassesTooSmallToSplit()
    {
        r.Images("dtd/images/banded", 3);
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "dtd", "train"));
        Assert.Contains("banded", e.Message);
        Assert.Contains("3 images", e.Message);
    }

    [Fact]
    public void DtdReadsItsSplitFile()
    {
        MiniBenchmarks.Dtd(r);
        var test = BenchmarkDatasets.Open(r.Root, "DescribableTextures", "test");
        Assert.Equal(["banded", "blotchy", "braided"], test.ClassNames);
        Assert.Equal([1, 1, 1], Counts(test));
        Assert.Equal(r["dtd/images/blotchy/blotchy_3.jpg"], test.Items[1].Path);
    }

    [Fact]
    public void OxfordPetsFallsBackToTheOfficialLists()
    {
        MiniBenchmarks.OxfordPets(r);
        var train = BenchmarkDatasets.Open(r.Root, "oxford_pets", "train");
        var val = BenchmarkDatasets.Open(r.Root, "OxfordPets", "val");
        var test = BenchmarkDatasets.Open(r.Root, "pets", "test");
        Assert.Equal(["abyssinian", "american_bulldog"], train.ClassNames);
        Assert.Equal([3, 3], Counts(train));
        Assert.Equal([1, 1], Counts(val));
        Assert.Equal([2, 2], Counts(test));
        Assert.Equal(r["oxford_pets/images/Abyssinian_5.jpg"], test.Items[0].Path);
        Assert.Empty(train.Items.Select(i => i.Path).Intersect(val.Items.Select(i => i.Path)));
    }

    [Fact]
    public void OxfordPetsPrefersItsSplitFile()
    {
        MiniBenchmarks.OxfordPets(r);
        r.SplitFile("oxford_pets/split_zhou_OxfordPets.json", new()
        {
            ["train"] = [("Abyssinian_1.jpg", 0, "abyssinian")],
            ["val"] = [("Abyssinian_2.jpg", 0, "abyssinian")],
            ["test"] = [("american_bulldog_1.jpg", 1, "american_bulldog")],
        });
        Assert.Single(BenchmarkDatasets.Open(r.Root, "OxfordPets", "train").Items);
    }

    [Fact]
    public void StanfordCarsPathsAreRelativeToTheDatasetFolder()
    {
        MiniBenchmarks.StanfordCars(r);
        var train = BenchmarkDatasets.Open(r.Root, "stanford_cars", "train");
        Assert.Equal(r["stanford_cars/cars_train/00001.jpg"], train.Items[0].Path);
        Assert.Equal(["2012 Tesla Model S", "2012 BMW M3 coupe"], train.ClassNames);
    }

    [Fact]
    public void StanfordCarsAndFlowersWithoutSplitFileSayWhy()
    {
        r.Images("stanford_cars/cars_train", 2);
        var cars = Assert.Throws<FileNotFoundException>(() => BenchmarkDatasets.Open(r.Root, "StanfordCars", "train"));
        Assert.Contains("split_zhou_StanfordCars.json", cars.Message);
        Assert.Contains("MATLAB", cars.Message);

        r.Images("oxford_flowers/jpg", 2);
        var flowers = Assert.Throws<FileNotFoundException>(() => BenchmarkDatasets.Open(r.Root, "flowers102", "train"));
        Assert.Contains("split_zhou_OxfordFlowers.json", flowers.Message);
        Assert.Contains("imagelabels.mat", flowers.Message);
    }

    [Fact]
    public void OxfordFlowersReadsJpgFolder()
    {
        MiniBenchmarks.OxfordFlowers(r);
        var train = BenchmarkDatasets.Open(r.Root, "OxfordFlowers", "train");
        Assert.Equal(r["oxford_flowers/jpg/image_00002.jpg"], train.Items[1].Path);
        Assert.Equal("hard-leaved pocket orchid", train.ClassNames[1]);
    }

    [Fact]
    public void Food101FallsBackToItsMetaLists()
    {
        MiniBenchmarks.Food101(r);
        var train = BenchmarkDatasets.Open(r.Root, "food-101", "train");
        Assert.Equal(["apple_pie", "baby_back_ribs"], train.ClassNames);
        Assert.Equal([3, 3], Counts(train));
        Assert.Equal([1, 1], Counts(BenchmarkDatasets.Open(r.Root, "Food101", "val")));
        var test = BenchmarkDatasets.Open(r.Root, "food", "test");
        Assert.Equal([2, 2], Counts(test));
        Assert.Equal(r["food-101/images/apple_pie/105.jpg"], test.Items[0].Path);
    }

    [Fact]
    public void FgvcAircraftReadsVariantLists()
    {
        MiniBenchmarks.FgvcAircraft(r);
        var train = BenchmarkDatasets.Open(r.Root, "fgvc_aircraft", "train");
        Assert.Equal(MiniBenchmarks.Variants, train.ClassNames);
        Assert.Equal([2, 2, 2], Counts(train));
        var test = BenchmarkDatasets.Open(r.Root, "FGVCAircraft", "test");
        Assert.Equal([1, 1, 1], Counts(test));
        Assert.Equal(r["fgvc_aircraft/images/1000012.jpg"], test.Items[2].Path);
        Assert.Equal(2, test.Items[2].Label);
    }

    [Fact]
    public void Sun397FallsBackToTheFirstPartition()
    {
        MiniBenchmarks.Sun397(r);
        var train = BenchmarkDatasets.Open(r.Root, "sun397", "train");
        Assert.Equal(["abbey", "outdoor apartment_building"], train.ClassNames);
        Assert.Equal([3, 3], Counts(train));
        var test = BenchmarkDatasets.Open(r.Root, "SUN397", "test");
        Assert.Equal(r["sun397/SUN397/a/apartment_building/outdoor/sun_5.jpg"], test.Items[1].Path);
    }

    [Fact]
    public void Ucf101FallsBackToTheOfficialListsWithFrameFolders()
    {
        MiniBenchmarks.Ucf101(r);
        var train = BenchmarkDatasets.Open(r.Root, "ucf-101", "train");
        Assert.Equal(["Apply_Eye_Makeup", "Yo_Yo"], train.ClassNames);
        Assert.Equal([3, 3], Counts(train));
        var test = BenchmarkDatasets.Open(r.Root, "UCF101", "test");
        Assert.Equal(r["ucf101/UCF-101-midframes/Yo_Yo/v_YoYo_g05_c01.jpg"], test.Items[1].Path);
        Assert.All(train.Items, i => Assert.True(File.Exists(i.Path)));
    }

    [Fact]
    public void ImageNetUsesClassnamesTxtAndItsValFolderAsTest()
    {
        MiniBenchmarks.ImageNet(r);
        var train = BenchmarkDatasets.Open(r.Root, "imagenet", "train");
        Assert.Equal(["tench", "goldfish", "tiger shark"], train.ClassNames);
        Assert.Equal([3, 3, 3], Counts(train));
        var test = BenchmarkDatasets.Open(r.Root, "ImageNet", "test");
        Assert.Equal(train.ClassNames, test.ClassNames);
        Assert.Equal([2, 2, 2], Counts(test));
        Assert.StartsWith(r["imagenet/images/val/n01440764"], test.Items[0].Path);
        Assert.Equal(test.Items, BenchmarkDatasets.Open(r.Root, "ImageNet", "val").Items);
    }

    [Fact]
    public void ImageNetNeedsClassnamesTxt()
    {
        r.Images("imagenet/images/train/n01440764", 1);
        var e = Assert.Throws<FileNotFoundException>(() => BenchmarkDatasets.Open(r.Root, "imagenet", "train"));
        Assert.Contains("classnames.txt", e.Message);
    }

    [Fact]
    public void ImageNetV2LabelsAreFolderNumbersAndNamesComeFromImageNet()
    {
        MiniBenchmarks.ImageNetV2(r);
        var test = BenchmarkDatasets.Open(r.Root, "imagenet-v2", "test");
        Assert.Equal(["tench", "goldfish", "great white shark", "tiger shark"], test.ClassNames);
        Assert.Equal([2, 2, 2, 2], Counts(test));
        Assert.Contains("/3/", test.Items[^1].Path);
        Assert.Equal(3, test.Items[^1].Label);
    }

    [Fact]
    public void ImageNetSketchHasAllClasses()
    {
        MiniBenchmarks.ImageNetSketch(r);
        var test = BenchmarkDatasets.Open(r.Root, "ImageNetSketch", "test");
        Assert.Equal(4, test.ClassNames.Count);
        Assert.Equal([2, 2, 2, 2], Counts(test));
    }

    [Fact]
    public void ImageNetAAndRAreScoredOverTheirOwnClasses()
    {
        MiniBenchmarks.ImageNetA(r);
        MiniBenchmarks.ImageNetR(r);
        var a = BenchmarkDatasets.Open(r.Root, "imagenet-a", "test");
        Assert.Equal(["goldfish", "tiger shark"], a.ClassNames);
        Assert.Equal([2, 3], Counts(a));
        var rendition = BenchmarkDatasets.Open(r.Root, "ImageNetR", "test");
        Assert.Equal(["tench", "great white shark", "tiger shark"], rendition.ClassNames);
        Assert.Equal([2, 2, 2], Counts(rendition));
    }

    [Fact]
    public void DomainGeneralisationTargetsAreTestOnly()
    {
        MiniBenchmarks.ImageNetA(r);
        var e = Assert.Throws<UserInputException>(() => BenchmarkDatasets.Open(r.Root, "imagenet-a", "train"));
        Assert.Contains("testing only", e.Message);
        Assert.True(BenchmarkDatasets.Resolve("imagenet-a").TestOnly);
        Assert.False(BenchmarkDatasets.Resolve("imagenet").TestOnly);
    }

    [Fact]
    public void ClassMissingFromClassnamesTxtIsNamed()
    {
        MiniBenchmarks.ImageNetA(r);
        r.Images("imagenet-adversarial/imagenet-a/n09999999", 1);
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkDatasets.Open(r.Root, "imagenet-a", "test"));
        Assert.Contains("n09999999", e.Message);
    }

    [Fact]
    public void MissingDatasetSaysWhatFolderIsExpected()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => BenchmarkDatasets.Open(r.Root, "ucf101", "train"));
        Assert.Contains("ucf101", e.Message);
        Assert.Contains("UCF-101-midframes", e.Message);
    }

    [Fact]
    public void EveryBenchmarkOpensFromItsMiniature()
    {
        MiniBenchmarks.EuroSat(r);
        MiniBenchmarks.Caltech101(r);
        MiniBenchmarks.Dtd(r);
        MiniBenchmarks.OxfordPets(r);
        MiniBenchmarks.StanfordCars(r);
        MiniBenchmarks.OxfordFlowers(r);
        MiniBenchmarks.Food101(r);
        MiniBenchmarks.FgvcAircraft(r);
        MiniBenchmarks.Sun397(r);
        MiniBenchmarks.Ucf101(r);
        MiniBenchmarks.ImageNet(r);
        MiniBenchmarks.ImageNetV2(r);
        MiniBenchmarks.ImageNetSketch(r);
        MiniBenchmarks.ImageNetA(r);
        MiniBenchmarks.ImageNetR(r);
        Assert.Equal(15, BenchmarkDatasets.Names.Count);
        foreach (var info in BenchmarkDatasets.All)
        {
            foreach (var split in info.Splits)
            {
                var data = BenchmarkDatasets.Open(r.Root, info.Name, split);
                Assert.NotEmpty(data.Items);
                Assert.All(data.Items, i => Assert.True(File.Exists(i.Path), i.Path));
                Assert.All(data.Items, i => Assert.InRange(i.Label, 0, data.ClassNames.Count - 1));
            }
        }
    }
}
