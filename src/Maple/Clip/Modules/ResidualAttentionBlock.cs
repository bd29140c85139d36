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
    public override Tensor forward(Tensor x) => Forward(x);

    /// <summary>
    /// x + attention(ln_1(x)), then + mlp(ln_2(·)), over [batch, length, width]: [batch, length, width] for every
    /// row, or [batch, width] for the one <paramref name="row"/> an encoder reads out (every row still serves as
    /// key and value; only this one is a query and goes through the MLP). A causal block can be read only at its
    /// last row. <paramref name="scope"/> says what each query attends to.
    /// </summary>
    public Tensor Forward(Tensor x, long? row = null, AttentionScope scope = AttentionScope.Full) => Forward(x, row, scope, null);

    /// <summary>As the public overload; <paramref name="keep"/>, if given, receives what the memory-saving backward needs.</summary>
    internal Tensor Forward(Tensor x, long? row, AttentionScope scope, BlockActivations? keep)
    {
        using var disposeScope = NewDisposeScope();
        // The residual adds write into each branch's fresh fp32 result, which nothing else holds: one buffer fewer each.
        var middle = Attention.Forward(Norm1.forward(x), row, scope, keep).to(ScalarType.Float32).add_(row is { } r ? x[.., r] : x, RootedScalars.One);
        keep?.KeepMiddle(middle);
        return Mlp.Forward(Norm2.forward(middle), keep).to(ScalarType.Float32).add_(middle, RootedScalars.One).MoveToOuterDisposeScope();
    }
}
