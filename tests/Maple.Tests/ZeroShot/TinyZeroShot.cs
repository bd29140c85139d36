using System.Text.Json;
using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Evaluation;
using Maple.Tokenization;

namespace Maple.Tests.ZeroShot;

/// <summary>The tiny-maple model in fp32, its class names and the zero-shot reference results.</summary>
sealed class TinyZeroShot : IDisposable
{
    public TinyZeroShot()
    {
        using var caseJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.TinyMaple, "case.json")));
        ClassNames = caseJson.RootElement.GetProperty("classnames").EnumerateArray().Select(e => e.GetString()!).ToList();
        Model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        Tokenizer = ClipTokenizer.FromDirectory(Fixtures.TinyMapleModel);
        Features = new FeatureExtractor(Model, Tokenizer);
        Inputs = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "inputs.safetensors"));
        Expected = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "zeroshot.safetensors"));
    }

    public IReadOnlyList<string> ClassNames { get; }

    public ClipModel Model { get; }

    public ClipTokenizer Tokenizer { get; }

    public FeatureExtractor Features { get; }

    public SafetensorsFile Inputs { get; }

    public SafetensorsFile Expected { get; }

    public void Dispose()
    {
        Model.Dispose();
        Inputs.Dispose();
        Expected.Dispose();
    }
}
