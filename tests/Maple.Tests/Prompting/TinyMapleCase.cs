using System.Text.Json;
using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Tokenization;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Prompting;

/// <summary>The shared tiny-maple fixture: model, class names, initial prompts and inputs.</summary>
sealed class TinyMapleCase : IDisposable
{
    public TinyMapleCase(Precision precision = Precision.Fp32)
    {
        using var caseJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.TinyMaple, "case.json")));
        ClassNames = caseJson.RootElement.GetProperty("classnames").EnumerateArray().Select(e => e.GetString()!).ToList();
        Clip = ClipModel.Load(Fixtures.TinyMapleModel, precision);
        Tokenizer = ClipTokenizer.FromDirectory(Fixtures.TinyMapleModel);
        Inputs = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "inputs.safetensors"));
        Expected = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "expected_fp32.safetensors"));
        using var init = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "init.safetensors"));
        Init = init.ReadAll();
    }

    public IReadOnlyList<string> ClassNames { get; }

    public ClipModel Clip { get; }

    public ClipTokenizer Tokenizer { get; }

    public SafetensorsFile Inputs { get; }

    public SafetensorsFile Expected { get; }

    public Dictionary<string, Tensor> Init { get; }

    public static PromptConfig Config => PromptConfig.Maple(nCtx: 2, depth: 3, ctxInit: "a photo of a");

    /// <summary>A MaPLe learner holding the fixture's initial parameters.</summary>
    public PromptedClip CreateMaple()
    {
        var learner = PromptLearners.Create(Config, Clip, Tokenizer, seed: 1);
        learner.LoadStateDict(Init, "init.safetensors");
        return new PromptedClip(Clip, learner, Tokenizer, ClassNames);
    }

    public Tensor Images(int step) => Inputs.Read("images")[step];

    public Tensor Labels(int step) => Inputs.Read("labels")[step];

    /// <summary>Three SGD steps on batches 0, 1 and 2, as the reference scripts take them; returns each step's loss.</summary>
    public Tensor TrainThreeSteps(PromptedClip prompted, Sgd sgd, double learningRate)
    {
        var losses = new float[3];
        for (var step = 0; step < losses.Length; step++)
        {
            using var stepScope = NewDisposeScope();
            sgd.ZeroGrad();
            var loss = nn.functional.cross_entropy(prompted.Logits(Images(step)), Labels(step));
            loss.backward();
            sgd.Step(learningRate);
            losses[step] = loss.item<float>();
        }
        return tensor(losses);
    }

    public void Dispose()
    {
        Clip.Dispose();
        Inputs.Dispose();
        Expected.Dispose();
        foreach (var t in Init.Values)
            t.Dispose();
    }
}
