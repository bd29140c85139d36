using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>
/// A frozen <see cref="ResidualAttentionBlock"/> as one autograd node whose backward pass gives only the
/// input's gradient. Autograd would keep every intermediate of the block (about 45 bytes per residual
/// element in bf16: LayerNorm outputs, casts, fp32 attention operands, the activation's input, the
/// inputs of every linear layer); this node keeps four tensors (18 bytes: input and middle of the
/// residual stream, q/k/v, the activation's input) and frees them as soon as its backward has run,
/// which is what lets a training step hold 1,000 class prompts.
/// </summary>
/// <remarks>
/// The kept tensors belong to the node, not to any dispose scope: they are disposed by the backward pass.
/// A forward pass with gradients that is never followed by backward leaves them to the garbage collector.
/// Backward runs once per forward (retain_graph is not supported).
/// </remarks>
sealed class FrozenBlockFunction : autograd.SingleTensorFunction<FrozenBlockFunction>
{
    const string Key = "kept";

    // The gradient this thread's previous backward call returned. Autograd holds its own reference once
    // the call returns, so the wrapper is disposed at the next call rather than at the end of the step.
    [ThreadStatic]
    static Tensor? _returned;

    public override string Name => nameof(FrozenBlockFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (input, block) = ((Tensor)vars[0], (ResidualAttentionBlock)vars[1]);
        using var scope = NewDisposeScope();
        var (output, qkv, middle, hidden) = block.ForwardKeeping(input);
        // The two residual-stream tensors only feed the LayerNorms' recomputation for the gradient: a bf16
        // block keeps them in bf16, an error the size of its products' (the forward values stay exact).
        var dtype = block.Attention.InProj.Weight.dtype;
        var kept = new Kept(block, input.detach().to(dtype), qkv, middle.to(dtype), hidden);
        ctx.save_data(Key, kept);
        return output.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
    {
        var kept = (Kept)ctx.get_data(Key);
        if (kept.Disposed)
            throw new InvalidOperationException("a frozen CLIP block's backward pass runs once per forward pass (retain_graph is not supported)");
        _returned?.Dispose();
        var gradInput = kept.Block.InputGradient(kept.Input, kept.Qkv, kept.Middle, kept.Hidden, grad);
        kept.Dispose();
        grad.Dispose();
        _returned = gradInput.DetachFromDisposeScope();
        return [gradInput, null!];
    }

    /// <summary>What the forward pass keeps for the backward pass, outside every dispose scope.</summary>
    sealed class Kept(ResidualAttentionBlock block, Tensor input, Tensor qkv, Tensor middle, Tensor hidden) : IDisposable
    {
        public ResidualAttentionBlock Block { get; } = block;

        public Tensor Input { get; } = input.DetachFromDisposeScope();

        public Tensor Qkv { get; } = qkv.DetachFromDisposeScope();

        public Tensor Middle { get; } = middle.DetachFromDisposeScope();

        public Tensor Hidden { get; } = hidden.DetachFromDisposeScope();

        public bool Disposed { get; private set; }

        public void Dispose()
        {
            Disposed = true;
            Input.Dispose();
            Qkv.Dispose();
            Middle.Dispose();
            Hidden.Dispose();
        }
    }
}
