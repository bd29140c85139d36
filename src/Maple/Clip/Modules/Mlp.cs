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
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Proj.forward(Activate(Fc.forward(input))).MoveToOuterDisposeScope();
    }

    /// <summary>The activation between the two layers.</summary>
    public Tensor Activate(Tensor hidden)
    {
        if (!_quickGelu)
            return nn.functional.gelu(hidden);
        // CLIP was trained with x·sigmoid(1.702x), a cheaper approximation of GELU. Written as
        // silu(1.702x)/1.702, backward keeps one tensor (silu's input) instead of two, and runs one fused
        // kernel; without autograd, all three steps work in one buffer.
        var scaled = hidden.mul(RootedScalars.QuickGelu);
        return (is_grad_enabled() && hidden.requires_grad ? nn.functional.silu(scaled) : scaled.silu_()).div_(RootedScalars.QuickGelu);
    }

    /// <summary>
    /// What the activation's backward pass needs from the hidden layer: silu's input 1.702·h for quick_gelu,
    /// h itself for gelu. <see cref="ActivateKept"/> finishes the activation from it.
    /// </summary>
    internal Tensor ActivationInput(Tensor hidden) => _quickGelu ? hidden.mul(RootedScalars.QuickGelu) : hidden;

    /// <summary>The activation of the hidden layer, from <see cref="ActivationInput"/>'s result (left unchanged).</summary>
    internal Tensor ActivateKept(Tensor kept) =>
        _quickGelu ? nn.functional.silu(kept).div_(RootedScalars.QuickGelu) : nn.functional.gelu(kept);

    /// <summary>
    /// The gradient of the hidden layer from the gradient of the activation, given <see cref="ActivationInput"/>'s
    /// result. For quick_gelu, d/dh silu(1.702h)/1.702 = silu′(1.702h): one fused pass each way.
    /// </summary>
    internal Tensor ActivationGradient(Tensor kept, Tensor gradActivated)
    {
        using var scope = NewDisposeScope();
        using (enable_grad())
        {
            var leaf = kept.detach().requires_grad_(true);
            var activated = _quickGelu ? nn.functional.silu(leaf) : nn.functional.gelu(leaf);
            return autograd.grad([activated], [leaf], [gradActivated.to(activated.dtype)])[0].MoveToOuterDisposeScope();
        }
    }
}
