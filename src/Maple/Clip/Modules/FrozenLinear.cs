using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>
/// A linear layer of the frozen backbone. Its weights are allocated uninitialised (the checkpoint fills
/// them) and it computes in its weights' dtype, so a bf16 backbone casts its input on the way in.
/// </summary>
public sealed class FrozenLinear : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the layer: weight [outFeatures, inFeatures] of <paramref name="dtype"/>.</summary>
    public FrozenLinear(long inFeatures, long outFeatures, ScalarType dtype, bool hasBias = true) : base(nameof(FrozenLinear))
    {
        Weight = new Parameter(empty([outFeatures, inFeatures], dtype), requires_grad: false);
        register_parameter("weight", Weight);
        if (hasBias)
        {
            Bias = new Parameter(empty([outFeatures], dtype), requires_grad: false);
            register_parameter("bias", Bias);
        }
    }

    /// <summary>The weight, [out, in].</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "weight")]
    public Parameter Weight { get; }

    /// <summary>The bias, [out], if any.</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "bias")]
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) =>
        nn.functional.linear(input.to(Weight.dtype), Weight, Bias);
}
