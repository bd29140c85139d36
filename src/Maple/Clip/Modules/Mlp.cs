using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>The transformer block's feed-forward network: c_fc, activation, c_proj.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly bool _quickGelu;

    /// <summary>Creates the network; <paramref name="activation"/> is <c>quick_gelu</c> or <c>gelu</c>.</summary>
    public Mlp(long width, long hidden, string activation, ScalarType dtype) : base(nameof(Mlp))
    {
        _quickGelu = activation == "quick_gelu";
        Fc = new FrozenLinear(width, hidden, dtype);
        Proj = new FrozenLinear(hidden, width, dtype);
        register_module("c_fc", Fc);
        register_module("c_proj", Proj);
    }

    /// <summary>The expanding layer.</summary>
    public FrozenLinear Fc { get; }

    /// <summary>The contracting layer.</summary>
    public FrozenLinear Proj { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Forward(input, null);

    /// <summary>As <see cref="forward"/>; <paramref name="keep"/>, if given, receives the nonlinearity's input.</summary>
    internal Tensor Forward(Tensor input, BlockActivations? keep)
    {
        using var scope = NewDisposeScope();
        var hidden = Fc.forward(input);
        Tensor activated;
        if (_quickGelu)
        {
            // CLIP was trained with x·sigmoid(1.702x), a cheaper approximation of GELU. Written as
            // silu(1.702x)/1.702, backward keeps one tensor (silu's input) instead of two and runs one fused
            // kernel; when nothing records or keeps silu's input, all three steps work in one buffer.
            var scaled = hidden.mul(RootedScalars.QuickGelu);
            keep?.KeepActivationInput(scaled);
            var inPlace = keep is null && !(is_grad_enabled() && scaled.requires_grad);
            activated = (inPlace ? scaled.silu_() : Nonlinearity(scaled)).div_(RootedScalars.QuickGelu);
        }
        else
        {
            keep?.KeepActivationInput(hidden);
            activated = Nonlinearity(hidden);
        }
        return Proj.forward(activated).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The activation's nonlinearity, applied to what <see cref="Forward(Tensor, BlockActivations?)"/> keeps: silu of
    /// 1.702·h for quick_gelu (whose result is then divided by 1.702), gelu of h for gelu. Either way its derivative at
    /// the kept value is the activation's derivative at h.
    /// </summary>
    internal Tensor Nonlinearity(Tensor activationInput) =>
        _quickGelu ? nn.functional.silu(activationInput) : nn.functional.gelu(activationInput);
}
