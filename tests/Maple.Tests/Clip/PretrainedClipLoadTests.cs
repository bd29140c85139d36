using Maple.Clip;

namespace Maple.Tests.Clip;

/// <summary>
/// <see cref="PretrainedClip.LoadAsync"/> loads the tokenizer beside the weights: each file's problem is still
/// reported, and the model's wins when both are wrong.
/// </summary>
public sealed class PretrainedClipLoadTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("maple-pretrained-").FullName;

    // The tiny model's weights and config without its vocabulary, as OpenAI-style folders come.
    string WeightsOnly(bool truncate = false)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, truncate ? "truncated" : "weights-only")).FullName;
        File.Copy(Path.Combine(Fixtures.TinyMapleModel, "config.json"), Path.Combine(folder, "config.json"));
        var weights = File.ReadAllBytes(Path.Combine(Fixtures.TinyMapleModel, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), truncate ? weights[..(weights.Length / 2)] : weights);
        return folder;
    }

    [Fact]
    public async Task AFolderWithoutAVocabularySaysSoAndNamesIt()
    {
        var folder = WeightsOnly();
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => PretrainedClip.LoadAsync(folder, Precision.Fp32));
        Assert.Contains($"{folder}: no vocab.json", error.Message);
    }

    [Fact]
    public async Task TheTokenizerComesFromTheFolderGiven()
    {
        using var clip = await PretrainedClip.LoadAsync(WeightsOnly(), Precision.Fp32, tokenizerFolder: Fixtures.Tokenizer);
        Assert.Equal(49_408, clip.Tokenizer.VocabularySize);
        Assert.Equal(new long[] { 49_406, 320, 1125, 539, 320, 2368, 269, 49_407 }, clip.Tokenizer.EncodeForModel("a photo of a cat.", 8));
    }

    [Fact]
    public async Task WhenWeightsAndVocabularyAreBothWrongTheWeightsAreReported()
    {
        var folder = WeightsOnly(truncate: true);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => PretrainedClip.LoadAsync(folder, Precision.Fp32));
        Assert.Contains(Path.Combine(folder, "model.safetensors"), error.Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
