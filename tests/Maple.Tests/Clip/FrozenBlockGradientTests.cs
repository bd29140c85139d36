using Maple.Clip.Modules;
using Maple.Prompting;
using Maple.Tests.Prompting;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

/// <summary>
/// The memory-saving backward of frozen blocks (opted into with <see cref="Maple.Clip.ClipModel.MemorySavingBackward"/>)
/// against plain autograd: one block at a time (outputs and input gradients, fp32 and bf16, both activations, causal
/// and not), and whole training steps of the tiny MaPLe fixture against autograd and the fp32 reference.
/// </summary>
public sealed class FrozenBlockGradientTests
{
    [Theory]
    [InlineData("quick_gelu", false)]
    [InlineData("gelu", false)]
    [InlineData("quick_gelu", true)]
    public void Fp32BlockMatchesAutograd(string activation, bool causal)
    {
        using var scope = NewDisposeScope();
        var (viaAutograd, viaMemorySaving) = BlockBothWays(ScalarType.Float32, activation, causal);

        TensorAssert.RelativeClose(viaAutograd.Output, viaMemorySaving.Output, 1e-6, "output");
        // Measured: 2.9e-7 to 3.6e-7 (the same products in another order).
        TensorAssert.RelativeClose(viaAutograd.InputGradient, viaMemorySaving.InputGradient, 2e-6, "input gradient");
    }

    [Theory]
    [InlineData("quick_gelu", false)]
    [InlineData("gelu", true)]
    public void Bf16BlockMatchesAutograd(string activation, bool causal)
    {
        using var scope = NewDisposeScope();
        var (viaAutograd, viaMemorySaving) = BlockBothWays(ScalarType.BFloat16, activation, causal);

        // The forward values are the block's own pass without autograd: bf16 attention in the fused kernel, where a
        // pass that autograd records computes the scores in fp32 (some 5e-3 apart).
        using var block = RandomBlock(ScalarType.BFloat16, activation, causal);
        using (no_grad())
            TensorAssert.RelativeClose(block.Forward(BlockInput().Input), viaMemorySaving.Output, 1e-6, "output");
        // The kept residual stream is bf16 (autograd keeps it in fp32): one bf16 rounding (2^-8 = 3.9e-3) on the
        // LayerNorms' inputs, which moves the gradient by about that much relative to its largest entry (measured:
        // 5.4e-3 for both cases).
        TensorAssert.RelativeClose(viaAutograd.InputGradient, viaMemorySaving.InputGradient, 1e-2, "input gradient");
    }

    [Theory]
    [InlineData("quick_gelu", false)]
    [InlineData("gelu", true)]
    public void Bf16BlockUnderAutogradStaysWithinBf16RoundingOfFp32(string activation, bool causal)
    {
        using var scope = NewDisposeScope();
        // The same weights in both precisions (the bf16 ones, widened), so only the arithmetic differs.
        using var bf16 = RandomBlock(ScalarType.BFloat16, activation, causal);
        using var fp32 = RandomBlock(ScalarType.Float32, activation, causal);
        using (no_grad())
        {
            var widened = bf16.named_parameters().ToDictionary(p => p.name, p => p.parameter.to(ScalarType.Float32));
            foreach (var (name, parameter) in fp32.named_parameters())
                parameter.copy_(widened[name]);
        }
        var (input, gradOutput) = BlockInput();
        (Tensor Output, Tensor InputGradient) Run(ResidualAttentionBlock block)
        {
            var x = input.clone().requires_grad_(true);
            var output = block.Forward(x);
            return (output.detach(), autograd.grad([output], [x], [gradOutput])[0]);
        }
        var (expected, got) = (Run(fp32), Run(bf16));

        // Every product rounds its inputs to bf16 (2^-9 relative each), the probabilities meet v in bf16, the scores
        // stay fp32. Measured over the two cases: output 4.6e-3 to 5.7e-3, input gradient 5.7e-3 to 8.5e-3 (with the
        // probabilities' product in fp32 as well: 4.9e-3 to 6.0e-3 and 8.0e-3 to 8.8e-3).
        TensorAssert.RelativeClose(expected.Output, got.Output, 1e-2, "output");
        TensorAssert.RelativeClose(expected.InputGradient, got.InputGradient, 2e-2, "input gradient");
    }

    [Fact]
    public void WhereItDoesNotApplyTheBlockRunsItsOwnForward()
    {
        using var scope = NewDisposeScope();
        using var block = RandomBlock(ScalarType.Float32, "quick_gelu", causal: false);
        using var memorySaving = new MemorySavingBackward();
        var x = BlockInput().Input;

        Assert.False(MemorySavingBackward.Applies(block, x)); // no gradient wanted
        Assert.Equal(0f, (memorySaving.Forward(block, x) - block.Forward(x)).abs().max().item<float>());
        block.Norm1.Bias.requires_grad_(true);
        Assert.False(MemorySavingBackward.Applies(block, x.requires_grad_(true))); // a weight trains
    }

    [Fact]
    public void Fp32GradientsMatchTheReference()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase(Precision.Fp32);
        using var maple = fixture.CreateMaple();
        fixture.Clip.MemorySavingBackward = true;
        var memorySaving = PromptGradients(maple, fixture);

        foreach (var (name, gradient) in memorySaving)
            TensorAssert.RelativeClose(fixture.Expected.Read($"grad.{name}"), gradient, 1e-4, $"grad.{name}");
    }

    [Fact]
    public void Fp32PromptGradientsMatchAutograd()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase(Precision.Fp32);
        using var maple = fixture.CreateMaple();
        var viaAutograd = PromptGradients(maple, fixture);
        fixture.Clip.MemorySavingBackward = true;
        var memorySaving = PromptGradients(maple, fixture);

        foreach (var (name, expected) in viaAutograd)
            TensorAssert.RelativeClose(expected, memorySaving[name], 1e-5, $"grad.{name}");
    }

    [Fact]
    public void Bf16PromptGradientsAreAsCloseToFp32AsAutogradIs()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase(Precision.Bf16);
        using var maple = fixture.CreateMaple();
        var viaAutograd = PromptGradients(maple, fixture);
        fixture.Clip.MemorySavingBackward = true;
        var memorySaving = PromptGradients(maple, fixture);

        // bf16 products put both some percent from the fp32 reference; the two must not differ in kind.
        foreach (var (name, autogradGradient) in viaAutograd)
        {
            var expected = fixture.Expected.Read($"grad.{name}");
            var (own, reference) = (RelativeError(expected, memorySaving[name]), RelativeError(expected, autogradGradient));
            Assert.True(own <= 1.5 * reference + 5e-3, $"grad.{name}: memory-saving backward {own:E2} from fp32, autograd {reference:E2}");
        }
    }

    const long Width = 32;

    /// <summary>A block of random weights (N(0, 0.2), LayerNorms off unity), an input and an output gradient, run through autograd and through the memory-saving backward.</summary>
    static ((Tensor Output, Tensor InputGradient) Autograd, (Tensor Output, Tensor InputGradient) MemorySaving) BlockBothWays(
        ScalarType dtype, string activation, bool causal)
    {
        using var block = RandomBlock(dtype, activation, causal);
        var (input, gradOutput) = BlockInput();

        var x = input.clone().requires_grad_(true);
        var output = block.Forward(x);
        var viaAutograd = (output.detach(), autograd.grad([output], [x], [gradOutput])[0]);

        using var memorySaving = new MemorySavingBackward();
        var y = input.clone().requires_grad_(true);
        Assert.True(MemorySavingBackward.Applies(block, y));
        var saved = memorySaving.Forward(block, y);
        var viaMemorySaving = (saved.detach(), autograd.grad([saved], [y], [gradOutput])[0]);
        return (viaAutograd, viaMemorySaving);
    }

    static (Tensor Input, Tensor GradOutput) BlockInput()
    {
        using var generator = new TorchSharp.torch.Generator(7);
        return (randn(3, 9, Width, generator: generator), randn(3, 9, Width, generator: generator));
    }

    static ResidualAttentionBlock RandomBlock(ScalarType dtype, string activation, bool causal)
    {
        var block = new ResidualAttentionBlock(Width, heads: 4, hidden: 4 * Width, activation, eps: 1e-5, causal, dtype);
        using var generator = new TorchSharp.torch.Generator(11);
        using (no_grad())
        {
            foreach (var (name, parameter) in block.named_parameters())
            {
                var value = name.StartsWith("ln_", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal)
                    ? 1 + 0.2 * randn(parameter.shape, generator: generator)
                    : 0.2 * randn(parameter.shape, generator: generator);
                parameter.copy_(value.to(parameter.dtype));
            }
        }
        return block;
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
