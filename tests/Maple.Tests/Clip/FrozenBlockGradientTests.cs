using Maple.Prompting;
using Maple.Tests.Prompting;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

/// <summary>
/// The blocks' own backward pass (taken when only the input needs a gradient and the activations are
/// large) against plain autograd through the same blocks, and against the fp32 reference.
/// </summary>
[Collection(nameof(FrozenBlockGradientTests))]
public sealed class FrozenBlockGradientTests : IDisposable
{
    readonly long _threshold = Maple.Clip.Modules.ResidualAttentionBlock.OwnBackwardMinElements;

    // The tiny model's activations are far below the size that selects the own backward: force it.
    public FrozenBlockGradientTests() => Maple.Clip.Modules.ResidualAttentionBlock.OwnBackwardMinElements = 0;

    public void Dispose() => Maple.Clip.Modules.ResidualAttentionBlock.OwnBackwardMinElements = _threshold;

    [Fact]
    public void Fp32GradientsMatchTheReference()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase(Precision.Fp32);
        using var maple = fixture.CreateMaple();
        var ownBackward = PromptGradients(maple, fixture);

        foreach (var (name, gradient) in ownBackward)
            TensorAssert.RelativeClose(fixture.Expected.Read($"grad.{name}"), gradient, 1e-4, $"grad.{name}");
    }

    [Fact]
    public void Fp32PromptGradientsMatchAutograd()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase(Precision.Fp32);
        using var maple = fixture.CreateMaple();
        var ownBackward = PromptGradients(maple, fixture);
        var autograd = AutogradPromptGradients(maple, fixture);

        foreach (var (name, expected) in autograd)
            TensorAssert.RelativeClose(expected, ownBackward[name], 1e-5, $"grad.{name}");
    }

    [Fact]
    public void Bf16PromptGradientsAreAsCloseToFp32AsAutogradIs()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase(Precision.Bf16);
        using var maple = fixture.CreateMaple();
        var ownBackward = PromptGradients(maple, fixture);
        var autograd = AutogradPromptGradients(maple, fixture);

        // bf16 products put both some percent from the fp32 reference; the two must not differ in kind.
        foreach (var (name, viaAutograd) in autograd)
        {
            var expected = fixture.Expected.Read($"grad.{name}");
            var (own, reference) = (RelativeError(expected, ownBackward[name]), RelativeError(expected, viaAutograd));
            Assert.True(own <= 1.5 * reference + 5e-3, $"grad.{name}: own backward {own:E2} from fp32, autograd {reference:E2}");
        }
    }

    static Dictionary<string, Tensor> AutogradPromptGradients(PromptedClip maple, TinyMapleCase fixture)
    {
        // A trainable weight in every block sends the whole pass through autograd instead.
        foreach (var (_, parameter) in maple.Clip.named_parameters().Where(p => p.name.EndsWith(".ln_1.bias", StringComparison.Ordinal)))
            parameter.requires_grad_(true);
        return PromptGradients(maple, fixture);
    }

    static Dictionary<string, Tensor> PromptGradients(PromptedClip maple, TinyMapleCase fixture)
    {
        foreach (var (_, parameter) in maple.Learner.Parameters)
            parameter.grad?.zero_();
        var loss = nn.functional.cross_entropy(maple.Logits(fixture.Images(0)), fixture.Labels(0));
        loss.backward();
        return maple.Learner.Parameters.ToDictionary(p => p.Name, p => p.Value.grad!.clone());
    }

    static double RelativeError(Tensor expected, Tensor got) =>
        (got.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>()
        / expected.abs().max().item<float>();
}
