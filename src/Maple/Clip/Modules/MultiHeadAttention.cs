using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>What each query of an attention layer attends to.</summary>
public enum AttentionScope
{
    /// <summary>Every position it may see: the whole sequence, or, in a causal attention, itself and the earlier ones.</summary>
    Full,

    /// <summary>
    /// Itself only: a softmax over one key is 1, so each token receives the output projection of its own value
    /// and no token mixes with another (GL-MCM's and LoCoOp's local features).
    /// </summary>
    SelfOnly,
}

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
    public override Tensor forward(Tensor input) => Forward(input);

    /// <summary>
    /// The attention output of a sequence [batch, length, width]: [batch, length, width] for every row, or
    /// [batch, width] for the one <paramref name="row"/>, which alone is projected to a query (keys and values
    /// come from every row). A causal attention can be read only at its last row.
    /// </summary>
    public Tensor Forward(Tensor input, long? row = null, AttentionScope scope = AttentionScope.Full) => Forward(input, row, scope, null);

    /// <summary>As the public overload; <paramref name="keep"/>, if given, receives q/k/v (every row, full scope only).</summary>
    internal Tensor Forward(Tensor input, long? row, AttentionScope scope, BlockActivations? keep)
    {
        using var disposeScope = NewDisposeScope();
        var (batch, length, width) = (input.shape[0], input.shape[1], input.shape[2]);
        var x = input.to(InProj.Weight.dtype);
        var w = (int)width;
        Tensor merged;
        if (scope == AttentionScope.SelfOnly)
        {
            // The value rows of the fused projection are the last third: [q; k; v].
            merged = nn.functional.linear(row is { } r ? x[.., r] : x, InProj.Weight[(2 * w)..], InProj.Bias?[(2 * w)..]);
        }
        else if (row is { } r)
        {
            if (IsCausal && r != length - 1)
                throw new ArgumentException($"a causal attention is read at its last row ({length - 1}), not row {r}", nameof(row));
            var headDim = width / _heads;
            var query = nn.functional.linear(x[.., r], InProj.Weight[..w], InProj.Bias?[..w]).view(batch, _heads, 1, headDim);
            var keyValue = nn.functional.linear(x, InProj.Weight[w..], InProj.Bias?[w..]).view(batch, length, 2, _heads, headDim).permute(2, 0, 3, 1, 4);
            // The last row of a causal attention sees every row: no mask.
            merged = Attend(query, keyValue[0], keyValue[1], causal: false).reshape(batch, width);
        }
        else
        {
            var qkv = Project(x);
            keep?.KeepQkv(qkv);
            merged = AttendProjected(qkv);
        }
        return OutProj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>q, k and v of a sequence [batch, length, width]: one view [3, batch, heads, length, head_dim] of the projection.</summary>
    Tensor Project(Tensor input)
    {
        var (batch, length, width) = (input.shape[0], input.shape[1], input.shape[2]);
        return InProj.forward(input).view(batch, length, 3, _heads, width / _heads).permute(2, 0, 3, 1, 4);
    }

    /// <summary>Attention over every row of projected q/k/v [3, batch, heads, length, head_dim], heads merged: [batch, length, width].</summary>
    internal Tensor AttendProjected(Tensor qkv)
    {
        var (batch, length) = (qkv.shape[1], qkv.shape[3]);
        return Attend(qkv[0], qkv[1], qkv[2], IsCausal).transpose(1, 2).reshape(batch, length, -1);
    }

    /// <summary>softmax(q·kᵀ/√d)·v over [batch, heads, rows, head_dim].</summary>
    static Tensor Attend(Tensor q, Tensor k, Tensor v, bool causal)
    {
        // The one switch between two kernels of the same function: the fused kernel is the fastest forward,
        // but its CPU backward costs 5-7x the explicit one for short sequences (text prompts, bf16), so a pass
        // that autograd records takes the explicit path.
        if (!(is_grad_enabled() && (q.requires_grad || k.requires_grad || v.requires_grad)))
            return nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, causal);
        return ExplicitAttention(q, k, v, causal);
    }

    /// <summary>The explicit path of <see cref="Attend"/>, which autograd records (the bench's profile times it too).</summary>
    internal static Tensor ExplicitAttention(Tensor q, Tensor k, Tensor v, bool causal)
    {
        // Scores and softmax in fp32, whatever the dtype of q, k and v: the softmax sees exact scores. The
        // probabilities then meet v in v's dtype, as the result leaves in it anyway: in bf16 that product and
        // its two backward products run at bf16's rate, with fp32 accumulation, for one more rounding of each
        // probability (relative 2^-9).
        var scores = q.to(ScalarType.Float32).matmul(k.to(ScalarType.Float32).transpose(-2, -1)).mul_(RootedScalars.InverseSqrt(q.shape[^1]));
        if (causal)
        {
            var length = q.shape[^2];
            scores = scores.masked_fill(ones(length, length, ScalarType.Bool, device: q.device).triu(1), RootedScalars.NegativeInfinity);
        }
        return scores.softmax(-1).to(v.dtype).matmul(v);
    }
}
