using Maple.Clip;
using Maple.Demo;
using Maple.Imaging;
using static TorchSharp.torch;

namespace Maple.Tests.Demo;

public sealed class ContrastivePretrainingTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("maple-demo-pretrain-").FullName;

    [Fact]
    public void InfoNceIsLogOfTheBatchForUninformativeLogitsAndZeroForPerfectOnes()
    {
        using var scope = NewDisposeScope();

        Assert.Equal(Math.Log(4), ContrastivePretraining.SymmetricInfoNce(zeros(4, 4)).item<float>(), 5);
        Assert.Equal(0, ContrastivePretraining.SymmetricInfoNce(eye(4) * 100).item<float>(), 5);
    }

    [Fact]
    public void InfoNceAveragesBothDirections()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 2, 0, 1, 3 }, [2, 2]);
        var rows = nn.functional.cross_entropy(logits, arange(2)).item<float>();
        var columns = nn.functional.cross_entropy(logits.t(), arange(2)).item<float>();

        Assert.Equal((rows + columns) / 2, ContrastivePretraining.SymmetricInfoNce(logits).item<float>(), 5);
    }

    [Fact]
    public void LossDecreasesAndTheModelIsFrozenAgainAfterwards()
    {
        var world = DemoWorld.Default;
        var vocabulary = DemoVocabulary.ForWorld(world);
        vocabulary.Write(_temp);
        var tokenizer = Maple.Tokenization.ClipTokenizer.FromDirectory(_temp);
        var settings = DemoSettings.Quick;
        using var model = new ClipModel(settings.ModelConfig(vocabulary.Size), Precision.Fp32);
        model.InitializeForTraining(1);
        var classes = world.Classes.Take(6).ToList();
        var (data, scenes) = DemoImages.Render(Path.Combine(_temp, "images"), classes, DemoStyle.Pretraining, 3, settings.ImageSize, 1, "pretraining");
        using var images = new EvalTransform(settings.ImageSize).LoadBatch(data.Items.Select(i => i.Path).ToList());

        var options = new PretrainingOptions { Steps = 40, BatchSize = 6, LearningRate = 2e-3, WarmupSteps = 4, Seed = 3 };
        var losses = new ContrastivePretraining(model, tokenizer, options)
            .Run(images, data.Items.Select(i => i.Label).ToList(), (i, _) => $"a photo of a {scenes[i].Class.Name}.");

        Assert.Equal(40, losses.Count);
        Assert.True(losses.TakeLast(5).Average() < losses.Take(5).Average() - 0.2,
            $"loss went from {losses.Take(5).Average():F3} to {losses.TakeLast(5).Average():F3}");
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);
}
