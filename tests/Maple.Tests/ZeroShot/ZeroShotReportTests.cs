using System.Text.Json;
using Maple.Evaluation;

namespace Maple.Tests.ZeroShot;

public sealed class ZeroShotReportTests : IDisposable
{
    readonly TempFolder _temp = new();

    static ZeroShotReport Report() => new("tiny", ["cat", "hot, \"dog\""], ["a {}."],
    [
        new ZeroShotPrediction("a b.png", [1.5f, -0.25f], [0.85f, 0.15f], [new ClassScore(0, "cat", 0.85f)]),
        new ZeroShotPrediction("dir,x/c.png", [0f, 3f], [0.05f, 0.95f], [new ClassScore(1, "hot, \"dog\"", 0.95f)]),
    ]);

    [Fact]
    public void CsvQuotesFieldsThatNeedItAndKeepsFloatsExact()
    {
        var path = _temp.Combine("r.csv");
        Report().Write(path);
        var lines = File.ReadAllLines(path);
        Assert.Equal(["path,top1,top1_probability,cat,\"hot, \"\"dog\"\"\"", "a b.png,cat,0.85,1.5,-0.25", "\"dir,x/c.png\",\"hot, \"\"dog\"\"\",0.95,0,3"], lines);
    }

    [Fact]
    public void JsonHoldsEveryField()
    {
        var path = _temp.Combine("r.JSON");
        Report().Write(path);
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var root = json.RootElement;
        Assert.Equal("tiny", root.GetProperty("model").GetString());
        Assert.Equal(["cat", "hot, \"dog\""], root.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["a {}."], root.GetProperty("templates").EnumerateArray().Select(e => e.GetString()));
        var second = root.GetProperty("images")[1];
        Assert.Equal("dir,x/c.png", second.GetProperty("path").GetString());
        Assert.Equal([0f, 3f], second.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()));
        Assert.Equal([0.05f, 0.95f], second.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()));
        Assert.Equal("hot, \"dog\"", second.GetProperty("top")[0].GetProperty("class").GetString());
        Assert.Equal(0.95f, second.GetProperty("top")[0].GetProperty("probability").GetSingle());
    }

    [Fact]
    public void OtherExtensionsAndMismatchedRowsAreRefused()
    {
        Assert.False(ZeroShotReport.IsSupportedOutput("r.txt"));
        Assert.Throws<UserInputException>(() => Report().Write(_temp.Combine("r.txt")));
        Assert.Throws<ArgumentException>(() => new ZeroShotReport("m", ["a", "b", "c"], ["{}"], Report().Predictions));
    }

    public void Dispose() => _temp.Dispose();
}
