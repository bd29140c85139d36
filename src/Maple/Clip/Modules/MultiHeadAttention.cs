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
        return OutProj.forward(Attend(Project(input))).MoveToOuterDisposeScope();
    }

    /// <summary>q, k and v of a sequence [batch, length, width]: one view [3, batch, heads, length, head_dim] of the projection.</summary>
    public Tensor Project(Tensor input)
    {
        var (batch, length, width) = (input.shape[0], input.shape[1], input.shape[2]);
        return InProj.forward(input).view(batch, length, 3, _heads, width / _heads).permute(2, 0, 3, 1, 4);
    }

    /// <summary>Attention over projected q, k and v (<see cref="Project"/>), heads merged: [batch, length, width].</summary>
    public Tensor Attend(Tensor qkv)
    {
        var (batch, length) = (qkv.shape[1], qkv.shape[3]);
        // The fused kernel is the fastest forward, but its CPU backward costs 5-7x the explicit one for
        // short sequences (text prompts, bf16): a pass that needs gradients takes the explicit path.
        var attended = is_grad_enabled() && qkv.requires_grad
            ? ExplicitAttention(qkv[0], qkv[1], qkv[2], IsCausal)
            : nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], null, 0.0, IsCausal);
        return attended.transpose(1, 2).reshape(batch, length, -1);
    }

    /// <summary>
    /// The attention output [batch, width] of one query row of [batch, length, width] over all rows: the
    /// query projection runs on that row only. A causal attention can only be read at its last row.
    /// </summary>
    public Tensor ForwardRow(Tensor input, long row)
    {
        using var scope = NewDisposeScope();
        var (batch, length, width) = (input.shape[0], input.shape[1], input.shape[2]);
        if (IsCausal && row != length - 1)
            throw new ArgumentException($"a causal attention is read at its last row ({length - 1}), not row {row}", nameof(row));
        var x = input.to(InProj.Weight.dtype);
        var headDim = width / _heads;
        // The fused projection stacks [q; k; v]: q for the one row, k and v for all.
        var w = (int)width;
        var query = nn.functional.linear(x[.., row], InProj.Weight[..w], InProj.Bias?[..w]).view(batch, _heads, 1, headDim);
        var keyValue = nn.functional.linear(x, InProj.Weight[w..], InProj.Bias?[w..]).view(batch, length, 2, _heads, headDim).permute(2, 0, 3, 1, 4);
        var attended = is_grad_enabled() && (query.requires_grad || keyValue.requires_grad)
            ? ExplicitAttention(query, keyValue[0], keyValue[1], causal: false)
            : nn.functional.scaled_dot_product_attention(query, keyValue[0], keyValue[1]);
        return OutProj.forward(attended.reshape(batch, width)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The gradient of <see cref="Attend"/>'s input from the gradient of its output, in the layout of the
    /// projection's output [batch, length, 3·width]. The attention is recomputed: it is cheap next to the
    /// projections, and keeping only q, k and v is what lets training hold many classes.
    /// </summary>
    internal Tensor AttendGradient(Tensor qkv, Tensor gradMerged)
    {
        using var scope = NewDisposeScope();
        var (batch, heads, length, headDim) = (qkv.shape[1], qkv.shape[2], qkv.shape[3], qkv.shape[4]);
        var gradHeads = gradMerged.view(batch, length, heads, headDim).transpose(1, 2);
        using (enable_grad())
        {
            var leaf = qkv.detach().requires_grad_(true);
            var attended = ExplicitAttention(leaf[0], leaf[1], leaf[2], IsCausal);
            var gradQkv = autograd.grad([attended], [leaf], [gradHeads.to(attended.dtype)])[0];
            return gradQkv.permute(1, 3, 0, 2, 4).reshape(batch, length, 3 * heads * headDim).MoveToOuterDisposeScope();
        }
    }

    /// <summary>softmax(q·kᵀ/√d)·v with the scores in fp32, whatever the dtype of q, k and v.</summary>
    static Tensor ExplicitAttention(Tensor q, Tensor k, Tensor v, bool causal)
    {
        var scores = q.to(ScalarType.Float32).matmul(k.to(ScalarType.Float32).transpose(-2, -1)).mul_(RootedScalars.InverseSqrt(q.shape[^1]));
        if (causal)
        {
            var length = q.shape[^2];
            scores = scores.masked_fill(ones(length, length, ScalarType.Bool).triu(1), double.NegativeInfinity);
        }
        return scores.softmax(-1).matmul(v.to(ScalarType.Float32)).to(q.dtype);
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
