using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>Multi-head self-attention with a fused q/k/v projection (OpenAI's <c>in_proj</c> layout).</summary>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    readonly long _heads;

    /// <summary>Creates the attention of a block of width <paramref name="width"/>.</summary>
    public MultiHeadAttention(long width, long heads, bool causal, ScalarType dtype) : base(nameof(MultiHeadAttention))
    {
        _heads = heads;
        IsCausal = causal;
        InProj = new FrozenLinear(width, 3 * width, dtype);
        OutProj = new FrozenLinear(width, width, dtype);
        register_module("in_proj", InProj);
        register_module("out_proj", OutProj);
    }

    /// <summary>Whether each position attends only to itself and earlier ones (the text encoder).</summary>
    public bool IsCausal { get; }

    /// <summary>q, k and v stacked: weight [3·width, width].</summary>
    public FrozenLinear InProj { get; }

    /// <summary>The output projection.</summary>
    public FrozenLinear OutProj { get; }

    /// <summary>Attends over a batch-first sequence [batch, length, width].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var (batch, length, width) = (input.shape[0], input.shape[1], input.shape[2]);
        // [B, L, 3W] -> 3 × [B, heads, L, head_dim]
        var qkv = InProj.forward(input).view(batch, length, 3, _heads, width / _heads).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], null, 0.0, IsCausal);
        var merged = attended.transpose(1, 2).reshape(batch, length, width);
        return OutProj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// What each token of [batch, length, width] would receive if it attended only to itself: the
    /// output projection of its own value (a softmax over one key is 1). No token mixes with another.
    /// </summary>
    public Tensor ForwardSelfOnly(Tensor input)
    {
        using var scope = NewDisposeScope();
        var width = input.shape[^1];
        // The value rows of the fused projection are the last third: [q; k; v].
        var valueWeight = InProj.Weight[(int)(2 * width)..];
        var valueBias = InProj.Bias?[(int)(2 * width)..];
        var value = nn.functional.linear(input.to(InProj.Weight.dtype), valueWeight, valueBias);
        return OutProj.forward(value).MoveToOuterDisposeScope();
    }
}
