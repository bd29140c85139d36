using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Modules;

/// <summary>
/// The memory-saving backward pass of frozen <see cref="ResidualAttentionBlock"/>s, opted into with
/// <see cref="PromptedTransformer.MemorySavingBackward"/>. Each block becomes one autograd node that gives only its
/// input's gradient. Autograd would keep every intermediate of the block (about 45 bytes per residual element in
/// bf16: LayerNorm outputs, casts, fp32 attention operands, the activation's input, the inputs of every linear
/// layer); this node keeps four tensors (18 bytes: input and middle of the residual stream, q/k/v, the activation's
/// input) and frees them as soon as its backward has run, which is what lets a training step hold 1,000 class
/// prompts. The products are not recomputed; the LayerNorms, the attention and the activation are (backward about
/// 15% slower than autograd's).
/// </summary>
/// <remarks>
/// The forward pass is the block's own (<see cref="ResidualAttentionBlock.Forward(Tensor, long?, AttentionScope)"/>),
/// asked to keep those four tensors. One instance serves the blocks of one transformer; it is disposed with it.
/// </remarks>
public sealed class MemorySavingBackward : IDisposable
{
    readonly Lock _lock = new();
    Tensor? _returned;

    /// <summary>
    /// Whether <paramref name="block"/> over <paramref name="x"/> can take this backward: autograd records, the
    /// input needs a gradient and no weight of the block does.
    /// </summary>
    public static bool Applies(ResidualAttentionBlock block, Tensor x) =>
        is_grad_enabled() && x.requires_grad && !block.parameters().Any(p => p.requires_grad);

    /// <summary>
    /// The block's output over every row of <paramref name="x"/>: as one autograd node with this backward where it
    /// <see cref="Applies"/>, else the block's own forward pass.
    /// </summary>
    public Tensor Forward(ResidualAttentionBlock block, Tensor x) =>
        Applies(block, x) ? FrozenBlockFunction.apply(x, block, this) : block.Forward(x);

    /// <summary>
    /// Takes the wrapper of the gradient a backward call returned. libtorch copies the gradient only after the call
    /// has returned, so the wrapper must outlive it: it is released at this instance's next backward call (autograd
    /// holds its own reference by then) or when the instance is disposed, not at the end of the step, which would keep
    /// every block's input gradient alive at once.
    /// </summary>
    void Hold(Tensor returned)
    {
        lock (_lock)
        {
            _returned?.Dispose();
            _returned = returned.DetachFromDisposeScope();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _returned?.Dispose();
            _returned = null;
        }
    }

    /// <summary>The gradient of the block's input (fp32) from the gradient of its output, given what its forward pass kept.</summary>
    static Tensor InputGradient(ResidualAttentionBlock block, BlockActivations kept, Tensor grad)
    {
        using var scope = NewDisposeScope();
        var (attention, mlp) = (block.Attention, block.Mlp);
        var gradHidden = Recomputed(mlp.Nonlinearity, kept.ActivationInput, ThroughLinear(mlp.Proj, grad));
        var gradMiddle = grad.add(Recomputed(block.Norm2.forward, kept.Middle.to(ScalarType.Float32), ThroughLinear(mlp.Fc, gradHidden)), RootedScalars.One);
        var gradQkv = Recomputed(attention.AttendProjected, kept.Qkv, ThroughLinear(attention.OutProj, gradMiddle));
        var (batch, length) = (kept.Qkv.shape[1], kept.Qkv.shape[3]);
        // [3, batch, heads, length, head_dim] back to the projection's output layout [batch, length, 3·width].
        var gradProjected = gradQkv.permute(1, 3, 0, 2, 4).reshape(batch, length, -1);
        var gradNorm1 = ThroughLinear(attention.InProj, gradProjected);
        return gradMiddle.add(Recomputed(block.Norm1.forward, kept.Input.to(ScalarType.Float32), gradNorm1), RootedScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>The gradient of a frozen linear layer's input from that of its output, in the weight's dtype.</summary>
    static Tensor ThroughLinear(FrozenLinear layer, Tensor gradOutput) => gradOutput.to(layer.Weight.dtype).matmul(layer.Weight);

    /// <summary>The gradient of <paramref name="function"/>'s input at <paramref name="input"/>, recomputing the function under autograd.</summary>
    static Tensor Recomputed(Func<Tensor, Tensor> function, Tensor input, Tensor gradOutput)
    {
        using var scope = NewDisposeScope();
        using (enable_grad())
        {
            var leaf = input.detach().requires_grad_(true);
            var output = function(leaf);
            return autograd.grad([output], [leaf], [gradOutput.to(output.dtype)])[0].MoveToOuterDisposeScope();
        }
    }

    /// <summary>The autograd node: forward keeps <see cref="BlockActivations"/>, backward turns them into the input's gradient.</summary>
    sealed class FrozenBlockFunction : autograd.SingleTensorFunction<FrozenBlockFunction>
    {
        const string Key = "kept";

        public override string Name => nameof(FrozenBlockFunction);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (input, block, owner) = ((Tensor)vars[0], (ResidualAttentionBlock)vars[1], (MemorySavingBackward)vars[2]);
            var kept = new BlockActivations();
            using var scope = NewDisposeScope();
            var output = block.Forward(input, null, AttentionScope.Full, kept);
            // The two residual-stream tensors only feed the LayerNorms' recomputation for the gradient: a bf16 block
            // keeps them in bf16, an error the size of its products' (the forward values stay exact).
            kept.Finish(input, block.Attention.InProj.Weight.dtype);
            ctx.save_data(Key, (block, owner, kept));
            return output.MoveToOuterDisposeScope();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var (block, owner, kept) = ((ResidualAttentionBlock, MemorySavingBackward, BlockActivations))ctx.get_data(Key);
            if (kept.Disposed)
                throw new InvalidOperationException("a frozen CLIP block's memory-saving backward runs once per forward pass (retain_graph is not supported)");
            var gradInput = InputGradient(block, kept, grad);
            kept.Dispose();
            grad.Dispose();
            owner.Hold(gradInput);
            return [gradInput, null!, null!];
        }
    }
}

/// <summary>
/// What a block's forward pass keeps for <see cref="MemorySavingBackward"/>, outside every dispose scope: q/k/v
/// [3, batch, heads, length, head_dim], the residual stream between attention and MLP, the nonlinearity's input
/// (<see cref="Mlp.Nonlinearity"/>) and the block's input. Disposed by the backward pass; a forward pass with
/// gradients that is never followed by backward leaves them to the garbage collector.
/// </summary>
sealed class BlockActivations : IDisposable
{
    Tensor? _qkv, _middle, _activationInput, _input;

    public Tensor Qkv => _qkv ?? throw Missing();

    public Tensor Middle => _middle ?? throw Missing();

    public Tensor ActivationInput => _activationInput ?? throw Missing();

    public Tensor Input => _input ?? throw Missing();

    public bool Disposed { get; private set; }

    public void KeepQkv(Tensor qkv) => _qkv = qkv.DetachFromDisposeScope();

    public void KeepMiddle(Tensor middle) => _middle = middle.DetachFromDisposeScope();

    public void KeepActivationInput(Tensor input) => _activationInput = input.DetachFromDisposeScope();

    /// <summary>Keeps the block's input and stores both residual-stream tensors in <paramref name="residualDtype"/>.</summary>
    public void Finish(Tensor input, ScalarType residualDtype)
    {
        _input = input.detach().to(residualDtype).DetachFromDisposeScope();
        if (Middle.dtype != residualDtype)
        {
            var middle = Middle.to(residualDtype).DetachFromDisposeScope();
            _middle!.Dispose();
            _middle = middle;
        }
    }

    public void Dispose()
    {
        Disposed = true;
        _qkv?.Dispose();
        _middle?.Dispose();
        _activationInput?.Dispose();
        _input?.Dispose();
    }

    static InvalidOperationException Missing() => new("the block's forward pass kept nothing: it was not asked to");
}
