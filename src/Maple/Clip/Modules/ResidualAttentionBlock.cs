using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>A pre-LayerNorm transformer block. The residual stream stays fp32 in every precision.</summary>
public sealed class ResidualAttentionBlock : nn.Module<Tensor, Tensor>
{
    readonly Parameter[] _weights;

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
        _weights = parameters().ToArray();
    }

    /// <summary>Self-attention.</summary>
    public MultiHeadAttention Attention { get; }

    /// <summary>LayerNorm before attention.</summary>
    public FrozenLayerNorm Norm1 { get; }

    /// <summary>Feed-forward network.</summary>
    public Mlp Mlp { get; }

    /// <summary>LayerNorm before the MLP.</summary>
    public FrozenLayerNorm Norm2 { get; }

    /// <summary>
    /// From how many input elements (batch × length × width) a block that needs only its input's gradient
    /// runs its own backward pass, which keeps less than half of what autograd keeps but recomputes the
    /// attention, the LayerNorms and the activation (backward about 15% slower). Below it, memory is no
    /// concern: a ViT-B/16 batch of 4 images (0.6 M) or 100 class prompts (0.5 M) stay with autograd;
    /// 1,000 class prompts do not, even split into groups of equal length (1.3 M or more each). 0 sends
    /// every such block through its own backward.
    /// </summary>
    internal static long OwnBackwardMinElements { get; set; } = 1L << 20;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        // Prompt training needs only the input's gradient (see FrozenBlockFunction).
        if (is_grad_enabled() && x.requires_grad && x.numel() >= OwnBackwardMinElements && !_weights.Any(w => w.requires_grad))
            return FrozenBlockFunction.apply(x, this);
        using var scope = NewDisposeScope();
        // The same operations as ForwardKeeping, the same values, without keeping anything.
        var middle = Attention.forward(Norm1.forward(x)).to(ScalarType.Float32).add_(x, RootedScalars.One);
        return Mlp.forward(Norm2.forward(middle)).to(ScalarType.Float32).add_(middle, RootedScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The block's output at one row of the sequence, [batch, width]: every row serves as key and value,
    /// only this one as query, and the MLP runs on it alone. A causal block can read out only its last row.
    /// </summary>
    public Tensor ForwardRow(Tensor x, long row)
    {
        using var scope = NewDisposeScope();
        var middle = Attention.ForwardRow(Norm1.forward(x), row).to(ScalarType.Float32).add_(x[.., row], RootedScalars.One);
        return Mlp.forward(Norm2.forward(middle)).to(ScalarType.Float32).add_(middle, RootedScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The block's forward pass, returning with its output the tensors that <see cref="InputGradient"/>
    /// needs: q/k/v [3, batch, heads, length, head_dim], the residual stream between attention and MLP
    /// (fp32), and the MLP's hidden layer as the activation's backward needs it (<see cref="Mlp.ActivationInput"/>).
    /// </summary>
    internal (Tensor Output, Tensor Qkv, Tensor Middle, Tensor Hidden) ForwardKeeping(Tensor x)
    {
        // The residual adds write into the branch's fresh fp32 result (nothing else holds it): one buffer fewer each.
        var qkv = Attention.Project(Norm1.forward(x));
        var middle = Attention.OutProj.forward(Attention.Attend(qkv)).to(ScalarType.Float32).add_(x, RootedScalars.One);
        var hidden = Mlp.ActivationInput(Mlp.Fc.forward(Norm2.forward(middle)));
        var output = Mlp.Proj.forward(Mlp.ActivateKept(hidden)).to(ScalarType.Float32).add_(middle, RootedScalars.One);
        return (output, qkv, middle, hidden);
    }

    /// <summary>
    /// The gradient of the block's input (fp32) from the gradient of its output, given what
    /// <see cref="ForwardKeeping"/> kept. The weights are frozen and get no gradient; the LayerNorms, the
    /// attention and the activation are recomputed, the products are not.
    /// </summary>
    internal Tensor InputGradient(Tensor x, Tensor qkv, Tensor middle, Tensor hidden, Tensor grad)
    {
        using var scope = NewDisposeScope();
        var gradHidden = Mlp.ActivationGradient(hidden, Mlp.Proj.InputGradient(grad));
        var gradMiddle = grad.add(Norm2.InputGradient(middle, Mlp.Fc.InputGradient(gradHidden)), RootedScalars.One);
        var gradQkv = Attention.AttendGradient(qkv, Attention.OutProj.InputGradient(gradMiddle));
        var gradInput = gradMiddle.add(Norm1.InputGradient(x, Attention.InProj.InputGradient(gradQkv)), RootedScalars.One);
        return gradInput.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The block with every token attending only to itself (<see cref="MultiHeadAttention.ForwardSelfOnly"/>),
    /// residuals and MLP as usual: a per-token readout that keeps each position's own content.
    /// </summary>
    public Tensor ForwardSelfOnly(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x.add(Attention.ForwardSelfOnly(Norm1.forward(x)).to(ScalarType.Float32), RootedScalars.One);
        x = x.add(Mlp.forward(Norm2.forward(x)).to(ScalarType.Float32), RootedScalars.One);
        return x.MoveToOuterDisposeScope();
    }
}
