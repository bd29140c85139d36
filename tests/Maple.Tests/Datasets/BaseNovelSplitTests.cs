using Maple.Data;

namespace Maple.Tests.Datasets;

public sealed class BaseNovelSplitTests
{
    static ImageDataset Dataset(int classes, int perClass = 2) => new("test data",
        Enumerable.Range(0, classes).Select(c => $"class{c}").ToList(),
        Enumerable.Range(0, classes * perClass).Select(i => new LabeledImage($"/data/{i}.jpg", i % classes)).ToList());

    [Fact]
    public void OddClassCountGivesBaseTheLargerHalf()
    {
        var data = Dataset(5);
        var b = BaseNovelSplit.Subsample(data, Subset.Base);
        var n = BaseNovelSplit.Subsample(data, Subset.Novel);
        Assert.Equal(["class0", "class1", "class2"], b.ClassNames);
        Assert.Equal(["class3", "class4"], n.ClassNames);
        Assert.Equal(6, b.Items.Count);
        Assert.Equal(4, n.Items.Count);
        Assert.All(n.Items, i => Assert.InRange(i.Label, 0, 1));
        // /data/3.jpg had label 3: it is novel class 0.
        Assert.Equal(0, n.Items.Single(i => i.Path == "/data/3.jpg").Label);
        Assert.Equal(2, b.Items.Single(i => i.Path == "/data/7.jpg").Label);
    }

    [Fact]
    public void EvenClassCountSplitsInHalfAndKeepsOrder()
    {
        var data = Dataset(4);
        Assert.Equal([0, 1], BaseNovelSplit.Labels(4, Subset.Base));
        Assert.Equal([2, 3], BaseNovelSplit.Labels(4, Subset.Novel));
        var b = BaseNovelSplit.Subsample(data, Subset.Base);
        Assert.Equal(data.Items.Where(i => i.Label < 2).Select(i => i.Path), b.Items.Select(i => i.Path));
    }

    [Fact]
    public void AllIsUnchanged()
    {
        var data = Dataset(3);
        Assert.Same(data, BaseNovelSplit.Subsample(data, Subset.All));
    }

    [Theory]
    [InlineData("base", Subset.Base)]
    [InlineData("new", Subset.Novel)]
    [InlineData("Novel", Subset.Novel)]
    [InlineData("all", Subset.All)]
    public void ParsesCoOpsNames(string text, Subset expected) => Assert.Equal(expected, BaseNovelSplit.Parse(text));

    [Fact]
    public void SingleClassHasNoNovelClasses() =>
        Assert.Throws<InvalidDataException>(() => BaseNovelSplit.Subsample(Dataset(1), Subset.Novel));
}
