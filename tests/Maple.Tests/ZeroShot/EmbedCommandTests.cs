using System.Text.Json;
using Maple.Clip.Safetensors;
using Maple.Evaluation;
using static TorchSharp.torch;

namespace Maple.Tests.ZeroShot;

public sealed class EmbedCommandTests : IDisposable
{
    readonly TinyZeroShot _case = new();
    readonly TempFolder _temp = new();

    [Fact]
    public async Task WritesImageAndTextFeaturesWithTheirLabels()
    {
        var images = _temp.CopyImages("images", "chelsea.png", "coffee.png", "astronaut.png").Order(StringComparer.Ordinal).ToList();
        var textsFile = _temp.Write("texts.txt", "a photo of a dog.\n\nthe toy sea lion.\n");
        var output = _temp.Combine("features.safetensors");

        var (code, error) = await CliRunner.RunAsync("embed", "-m", Fixtures.TinyMapleModel, _temp.Combine("images"),
            "--text", "a photo of a cat.", "--text", "a photo of a goldfish.", "--texts-file", textsFile, "--precision", "fp32", "--batch-size", "2", "-o", output);

        Assert.True(code == 0, error);
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(output);
        string[] texts = ["a photo of a cat.", "a photo of a goldfish.", "a photo of a dog.", "the toy sea lion."];
        Assert.Equal(images, JsonSerializer.Deserialize<string[]>(file.Metadata[EmbeddingFile.ImagePathsKey]));
        Assert.Equal(texts, JsonSerializer.Deserialize<string[]>(file.Metadata[EmbeddingFile.TextsKey]));
        Assert.Equal("false", file.Metadata["normalized"]);
        Assert.Equal(ScalarType.Float32, file.Entries[EmbeddingFile.ImageFeaturesKey].DType);
        Assert.Equal([3L, 64], file.Entries[EmbeddingFile.ImageFeaturesKey].Shape);
        Assert.Equal([4L, 64], file.Entries[EmbeddingFile.TextFeaturesKey].Shape);

        var transform = _case.Features.Transform;
        var expectedImages = _case.Features.ImageFeatures(transform.LoadBatch(images));
        TensorAssert.RelativeClose(expectedImages, file.Read(EmbeddingFile.ImageFeaturesKey), 1e-5, "image_features");
        using var _ = no_grad();
        var expectedTexts = _case.Model.EncodeText(_case.Tokenizer.Tokenize(texts));
        TensorAssert.RelativeClose(expectedTexts, file.Read(EmbeddingFile.TextFeaturesKey), 1e-5, "text_features");
    }

    [Fact]
    public async Task NormalizeGivesUnitRowsAndTextsAlone()
    {
        var output = _temp.Combine("texts.safetensors");
        var (code, error) = await CliRunner.RunAsync("embed", "-m", Fixtures.TinyMapleModel, "--text", "a cat", "--text", "a dog", "--normalize",
            "--precision", "fp32", "-o", output);

        Assert.True(code == 0, error);
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(output);
        Assert.False(file.Contains(EmbeddingFile.ImageFeaturesKey));
        Assert.False(file.Metadata.ContainsKey(EmbeddingFile.ImagePathsKey));
        Assert.Equal("true", file.Metadata["normalized"]);
        var features = file.Read(EmbeddingFile.TextFeaturesKey);
        Assert.True((features.norm(-1) - 1).abs().max().item<float>() < 1e-5);
        using var _ = no_grad();
        var raw = _case.Model.EncodeText(_case.Tokenizer.Tokenize(["a cat", "a dog"]));
        TensorAssert.RelativeClose(raw / raw.norm(-1, keepdim: true), features, 1e-5, "normalised text_features");
    }

    [Fact]
    public async Task NothingToEmbedAndMissingTextFileAreReported()
    {
        var output = _temp.Combine("never.safetensors");
        var (code, error) = await CliRunner.RunAsync("embed", "-m", Fixtures.TinyMapleModel, "-o", output);
        Assert.Equal(1, code);
        Assert.Contains("nothing to embed", error);

        var missing = _temp.Combine("no-texts.txt");
        (code, error) = await CliRunner.RunAsync("embed", "-m", Fixtures.TinyMapleModel, "--texts-file", missing, "-o", output);
        Assert.Equal(1, code);
        Assert.Contains(missing, error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void LibraryWriterKeepsTheCallersTensorsAndChecksRowCounts()
    {
        using var scope = NewDisposeScope();
        var features = randn(2, 64);
        var path = _temp.Combine("lib.safetensors");
        EmbeddingFile.Write(path, "m", false, ["a.png", "b.png"], features, null, null);
        Assert.Equal(2, features.shape[0]);
        Assert.True(features.sum().item<float>() is var s && !float.IsNaN(s));
        Assert.Throws<ArgumentException>(() => EmbeddingFile.Write(path, "m", false, ["a.png"], features, null, null));
        Assert.Throws<ArgumentException>(() => EmbeddingFile.Write(path, "m", false, null, null, null, null));
    }

    public void Dispose()
    {
        _case.Dispose();
        _temp.Dispose();
    }
}
