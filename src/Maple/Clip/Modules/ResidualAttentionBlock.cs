using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>A pre-LayerNorm transformer block. The residual stream stays fp32 in every precision.</summary>
public sealed class ResidualAttentionBlock : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates a block.</summary>
    public ResidualAttentionBlock(long width, long heads, long hidden, string activation, double eps, bool causal, ScalarType dtype)
        : base(nameof(ResidualAttentionBlock))
    {
        Attention = new MultiHeadAttention(width, heads, causal, dtype);
        Norm1 = new FrozenLayerNorm(width, eps);
        Mlp = new Mlp(width, hidden, activation, dtype);
        Norm2 = new FrozenLayerNorm(width, eps);
        register_module("attn", Attention);
        register_module("ln_1", Norm1);
        register_module("mlp", Mlp);
        register_module("ln_2", Norm2);
    }

    /// <summary>Self-attention.</summary>
    public MultiHeadAttention Attention { get; }

    /// <summary>LayerNorm before attention.</summary>
    public FrozenLayerNorm Norm1 { get; }

    /// <summary>Feed-forward network.</summary>
    public Mlp Mlp { get; }

    /// <summary>LayerNorm before the MLP.</summary>
    public FrozenLayerNorm Norm2 { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x + Attention.forward(Norm1.forward(x)).to(ScalarType.Float32);
        x = x + Mlp.forward(Norm2.forward(x)).to(ScalarType.Float32);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The block with every token attending only to itself (<see cref="MultiHeadAttention.ForwardSelfOnly"/>),
    /// residuals and MLP as usual: a per-token readout that keeps each position's own content.
    /// </summary>
    public Tensor ForwardSelfOnly(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x + Attention.ForwardSelfOnly(Norm1.forward(x)).to(ScalarType.Float32);
        x = x + Mlp.forward(Norm2.forward(x)).to(ScalarType.Float32);
        return x.MoveToOuterDisposeScope();
    }
}
