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
    [field: TorchSharp.Utils.ComponentName(Name = "weight")]
    public Parameter Weight { get; }

    /// <summary>The shift, [width].</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "bias")]
    public Parameter Bias { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) =>
        nn.functional.layer_norm(input.to(ScalarType.Float32), _shape, Weight, Bias, _eps);
}
