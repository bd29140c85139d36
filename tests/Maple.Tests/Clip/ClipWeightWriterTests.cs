using Maple.Clip;
using Maple.Clip.Weights;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

public sealed class ClipWeightWriterTests : IDisposable
{
    readonly CheckpointFiles _files = new();

    [Fact]
    public void SavedModelReloadsWithIdenticalFeatures()
    {
        using var scope = NewDisposeScope();
        using var original = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var folder = Path.Combine(_files.Root, "saved");
        ClipWeightWriter.SaveHuggingFace(original, folder);
        using var reloaded = ClipModel.Load(folder, Precision.Fp32);

        Assert.Equal(original.Config, reloaded.Config);
        var (image, text) = CheckpointFiles.Features(original);
        var (reloadedImage, reloadedText) = CheckpointFiles.Features(reloaded);
        Assert.Equal(0.0, CheckpointFiles.MaxDifference(image, reloadedImage));
        Assert.Equal(0.0, CheckpointFiles.MaxDifference(text, reloadedText));
    }

    [Fact]
    public void WrittenKeysAndShapesEqualTheFixture()
    {
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var folder = Path.Combine(_files.Root, "saved");
        ClipWeightWriter.SaveHuggingFace(model, folder);

        var expected = CheckpointFiles.Header(CheckpointFiles.FixtureWeights)
            .Where(e => !e.Key.EndsWith(".position_ids", StringComparison.Ordinal))
            .ToDictionary();
        var written = CheckpointFiles.Header(Path.Combine(folder, "model.safetensors"));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), written.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, (dtype, shape)) in written)
        {
            Assert.Equal("F32", dtype);
            Assert.True(expected[key].Shape.SequenceEqual(shape), $"{key}: [{string.Join(", ", shape)}], fixture [{string.Join(", ", expected[key].Shape)}]");
        }
    }

    [Fact]
    public void WrittenTensorsEqualTheFixtureBitForBit()
    {
        using var scope = NewDisposeScope();
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var folder = Path.Combine(_files.Root, "saved");
        ClipWeightWriter.SaveHuggingFace(model, folder);

        using var written = Maple.Clip.Safetensors.SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        foreach (var (key, value) in CheckpointFiles.FixtureTensors())
            Assert.True(value.equal(written.Read(key)).all().item<bool>(), $"{key} differs");
    }

    [Fact]
    public void ConfigIsHuggingFaceJson()
    {
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var folder = Path.Combine(_files.Root, "saved");
        ClipWeightWriter.SaveHuggingFace(model, folder);

        Assert.Equal(model.Config, ClipConfig.FromHuggingFaceFile(Path.Combine(folder, "config.json")));
        var text = File.ReadAllText(Path.Combine(folder, "config.json"));
        Assert.Contains("\"CLIPModel\"", text);
        Assert.Contains("\"model_type\": \"clip\"", text);
    }

    [Fact]
    public void Bf16ModelIsWrittenAsF32()
    {
        using var scope = NewDisposeScope();
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Bf16);
        var folder = Path.Combine(_files.Root, "saved");
        ClipWeightWriter.SaveHuggingFace(model, folder);

        Assert.All(CheckpointFiles.Header(Path.Combine(folder, "model.safetensors")).Values, e => Assert.Equal("F32", e.DType));
        using var reloaded = ClipModel.Load(folder, Precision.Bf16);
        var (image, text) = CheckpointFiles.Features(model);
        var (reloadedImage, reloadedText) = CheckpointFiles.Features(reloaded);
        Assert.Equal(0.0, CheckpointFiles.MaxDifference(image, reloadedImage));
        Assert.Equal(0.0, CheckpointFiles.MaxDifference(text, reloadedText));
    }

    [Fact]
    public void TokenizerFilesAreCopied()
    {
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var folder = Path.Combine(_files.Root, "saved");
        ClipWeightWriter.SaveHuggingFace(model, folder, Fixtures.Tokenizer);

        foreach (var name in new[] { "vocab.json", "merges.txt" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures.Tokenizer, name)), File.ReadAllBytes(Path.Combine(folder, name)));
        Assert.Equal(
            ["config.json", "merges.txt", "model.safetensors", "vocab.json"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void MissingTokenizerFileFailsBeforeWritingAnything()
    {
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var folder = Path.Combine(_files.Root, "saved");
        var empty = Directory.CreateDirectory(Path.Combine(_files.Root, "no-tokenizer")).FullName;

        var error = Assert.Throws<FileNotFoundException>(() => ClipWeightWriter.SaveHuggingFace(model, folder, empty));
        Assert.Contains(Path.Combine(empty, "vocab.json"), error.Message);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void SavingOverAnExistingModelReplacesItAndLeavesNoTempFiles()
    {
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var folder = Path.Combine(_files.Root, "saved");
        ClipWeightWriter.SaveHuggingFace(model, folder);
        ClipWeightWriter.SaveHuggingFace(model, folder);

        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var reloaded = ClipModel.Load(folder, Precision.Fp32);
    }

    public void Dispose() => _files.Dispose();
}
