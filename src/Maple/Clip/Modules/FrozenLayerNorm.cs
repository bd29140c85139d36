using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>LayerNorm of the frozen backbone; always computed in fp32, whatever the backbone's precision.</summary>
public sealed class FrozenLayerNorm : nn.Module<Tensor, Tensor>
{
    readonly long[] _shape;
    readonly double _eps;

    /// <summary>Creates the layer over the last dimension of size <paramref name="width"/>.</summary>
    public FrozenLayerNorm(long width, double eps) : base(nameof(FrozenLayerNorm))
    {
        _shape = [width];
        _eps = eps;
        Weight = new Parameter(ones(width), requires_grad: false);
        Bias = new Parameter(zeros(width), requires_grad: false);
        register_parameter("weight", Weight);
        register_parameter("bias", Bias);
    }

    /// <summary>The scale, [width].</summary>
    public Parameter Weight { get; }

    /// <summary>The shift, [width].</summary>
    public Parameter Bias { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) =>
        nn.functional.layer_norm(input.to(ScalarType.Float32), _shape, Weight, Bias, _eps);

    /// <summary>The gradient of the input (fp32) from the gradient of the output, recomputing the normalisation.</summary>
    internal Tensor InputGradient(Tensor input, Tensor gradOutput)
    {
        using var scope = NewDisposeScope();
        using (enable_grad())
        {
            // fp32 whatever the input was kept in, so the gradient is fp32 too.
            var leaf = input.to(ScalarType.Float32).detach().requires_grad_(true);
            var output = forward(leaf);
            return autograd.grad([output], [leaf], [gradOutput.to(output.dtype)])[0].MoveToOuterDisposeScope();
        }
    }
}
