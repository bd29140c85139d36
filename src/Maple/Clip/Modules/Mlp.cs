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
        var hidden = Fc.forward(input);
        // CLIP was trained with x·sigmoid(1.702x), a cheaper approximation of GELU.
        hidden = _quickGelu ? hidden * sigmoid(hidden * 1.702) : nn.functional.gelu(hidden);
        return Proj.forward(hidden).MoveToOuterDisposeScope();
    }
}
