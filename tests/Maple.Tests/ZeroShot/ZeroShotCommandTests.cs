using System.Text.Json;
using Maple.Evaluation;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Tests.ZeroShot;

public sealed class ZeroShotCommandTests : IDisposable
{
    readonly TinyZeroShot _case = new();
    readonly TempFolder _temp = new();
    readonly IReadOnlyList<string> _images;

    public ZeroShotCommandTests()
    {
        // Copied in an order other than the sorted one the folder must give.
        _images = _temp.CopyImages("images", "coffee.png", "chelsea.png", "astronaut.png").Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task JsonHoldsEveryImageWithTheLibrarysLogits()
    {
        var classes = _temp.Write("classes.txt", string.Join('\n', _case.ClassNames) + "\n");
        var output = _temp.Combine("results.json");

        var (code, error) = await CliRunner.RunAsync("zeroshot", "--model", Fixtures.TinyMapleModel, "--classes", classes,
            _temp.Combine("images"), "--top", "3", "--precision", "fp32", "--output", output);

        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(File.ReadAllText(output));
        var root = json.RootElement;
        Assert.Equal(Fixtures.TinyMapleModel, root.GetProperty("model").GetString());
        Assert.Equal("fp32 (as requested)", root.GetProperty("precision").GetString());
        Assert.Equal(_case.ClassNames, root.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal([PromptTemplates.Default], root.GetProperty("templates").EnumerateArray().Select(e => e.GetString()!));

        using var classifier = new ZeroShotClassifier(_case.Features, _case.ClassNames);
        var expected = classifier.Classify(_images);
        var images = root.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(_images, images.Select(i => i.GetProperty("path").GetString()!));
        for (var i = 0; i < images.Count; i++)
        {
            var logits = Floats(images[i].GetProperty("logits"));
            var probabilities = Floats(images[i].GetProperty("probabilities"));
            Assert.Equal(10, logits.Length);
            Assert.Equal(1.0, probabilities.Sum(p => (double)p), 5);
            TensorAssert.RelativeClose(tensor(expected[i].Logits), tensor(logits), 1e-6, $"logits of {_images[i]}");
            TensorAssert.RelativeClose(tensor(logits).to(ScalarType.Float64).softmax(-1), tensor(probabilities), 1e-5, "probabilities");

            var top = images[i].GetProperty("top").EnumerateArray().ToList();
            Assert.Equal(3, top.Count);
            var order = Enumerable.Range(0, 10).OrderByDescending(c => probabilities[c]).Take(3);
            Assert.Equal(order.Select(c => _case.ClassNames[c]), top.Select(t => t.GetProperty("class").GetString()!));
            Assert.Equal(order.Select(c => probabilities[c]), top.Select(t => t.GetProperty("probability").GetSingle()));
        }
    }

    [Fact]
    public async Task CsvHasOneRowPerImageAndOneLogitColumnPerClass()
    {
        var output = _temp.Combine("results.csv");
        string[] templates = ["a photo of a {}.", "itap of my {}."];

        // Two images per batch: the progress bar and a batch boundary.
        var (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, "--class", "sea_lion", "--class", "goldfish", "--class", "cheeseburger",
            _images[2], _images[0], _images[1], "--template", templates[0], "--template", templates[1],
            "--batch-size", "2", "--precision", "fp32", "-o", output);

        Assert.True(code == 0, error);
        var lines = File.ReadAllLines(output);
        Assert.Equal("path,top1,top1_probability,sea_lion,goldfish,cheeseburger", lines[0]);
        Assert.Equal(4, lines.Length);

        using var classifier = new ZeroShotClassifier(_case.Features, ["sea_lion", "goldfish", "cheeseburger"], templates);
        string[] order = [_images[2], _images[0], _images[1]];
        var expected = classifier.Classify(order);
        for (var i = 0; i < 3; i++)
        {
            var fields = lines[i + 1].Split(',');
            Assert.Equal(6, fields.Length);
            Assert.Equal(order[i], fields[0]);
            var logits = fields[3..].Select(f => float.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            TensorAssert.RelativeClose(tensor(expected[i].Logits), tensor(logits), 1e-5, $"logits of {order[i]}");
            Assert.Equal(expected[i].Top[0].ClassName, fields[1]);
            Assert.Equal(expected[i].Top[0].Probability, float.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), 5);
        }
    }

    [Fact]
    public async Task ImageNetTemplatesAreAllUsed()
    {
        var output = _temp.Combine("imagenet.json");
        var (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, "--class", "cat", "--class", "dog",
            _images[0], "--templates", "imagenet", "--precision", "fp32", "-o", output);

        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(File.ReadAllText(output));
        Assert.Equal(PromptTemplates.ImageNet, json.RootElement.GetProperty("templates").EnumerateArray().Select(e => e.GetString()!));
        var probabilities = Floats(json.RootElement.GetProperty("images")[0].GetProperty("probabilities"));
        Assert.Equal(1.0, probabilities.Sum(p => (double)p), 5);
    }

    [Fact]
    public async Task MissingClassListIsNamed()
    {
        var missing = _temp.Combine("no-such-classes.txt");
        var (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, "--classes", missing, _images[0]);
        Assert.Equal(1, code);
        Assert.Contains(missing, error);
        Assert.Contains("not found", error);
    }

    [Fact]
    public async Task EmptyClassListIsNamed()
    {
        var empty = _temp.Write("empty.txt", "\n  \n");
        var (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, "--classes", empty, _images[0]);
        Assert.Equal(1, code);
        Assert.Contains(empty, error);
        Assert.Contains("empty", error);
    }

    [Fact]
    public async Task NoClassesAreReported()
    {
        var (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, _images[0]);
        Assert.Equal(1, code);
        Assert.Contains("--classes", error);
    }

    [Fact]
    public async Task UnreadableImageIsNamed()
    {
        var broken = _temp.CopyImages("broken", "broken_truncated.jpg")[0];
        var output = _temp.Combine("never.json");
        var (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, "--class", "cat",
            _images[0], broken, "-o", output);
        Assert.Equal(1, code);
        Assert.Contains(broken, error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task MissingImageAndBadOutputAreNamed()
    {
        var missing = _temp.Combine("missing.png");
        var (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, "--class", "cat", missing);
        Assert.Equal(1, code);
        Assert.Contains(missing, error);

        (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, "--class", "cat", _images[0], "-o", "out.txt");
        Assert.Equal(1, code);
        Assert.Contains("out.txt", error);

        (code, error) = await CliRunner.RunAsync("zeroshot", "-m", Fixtures.TinyMapleModel, "--class", "cat", _images[0], "--template", "a cat");
        Assert.Equal(1, code);
        Assert.Contains("{}", error);
    }

    static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    public void Dispose()
    {
        _case.Dispose();
        _temp.Dispose();
    }
}
