using Maple.Clip;
using Maple.Clip.Modules;
using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>
/// Where a vision block's time goes: each operation of one ViT-B/16 block timed on its own, then the
/// block's forward and backward (into its input only, as in prompt training). Not part of the default
/// run: <c>Maple.Bench case profile --model DIR --precision bf16 --batch 4</c>.
/// </summary>
public sealed class ProfileCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var precision = args.Precision;
        var batch = args.Int("batch", 4);
        var tokens = args.Int("tokens", 199);
        var iterations = args.Int("iterations", 5);
        using var model = ClipModel.Load(args.Get("model"), precision);
        var text = args.Get("tower", "vision") == "text";
        var block = (text ? model.Text.Transformer : model.Visual.Transformer).Blocks[0];
        var attention = block.Attention;
        var width = text ? model.Config.Text.Width : model.Config.Vision.Width;
        var heads = text ? model.Config.Text.Heads : model.Config.Vision.Heads;
        using var generator = new Generator(6);
        using var x = randn([batch, tokens, width], generator: generator);
        var setting = $"{(text ? "text" : "vision")} {PrecisionSupport.Name(precision)}, {args.Threads} thread(s), [{batch}, {tokens}, {width}]";

        double Time(Func<Tensor> op)
        {
            using var _ = no_grad();
            using (NewDisposeScope())
                op();
            var timing = new Timing();
            for (var i = 0; i < iterations; i++)
            {
                using var scope = NewDisposeScope();
                op();
            }
            return timing.Seconds / iterations * 1000;
        }

        // The attention a pass that autograd records takes: the product's own explicit path.
        Tensor MathAttention(Tensor projected) => MultiHeadAttention.ExplicitAttention(projected[0], projected[1], projected[2], text);

        using var normed = no_grad_value(() => block.Norm1.forward(x));
        using var qkv = no_grad_value(() => attention.InProj.forward(normed));
        using var q = qkv.view(batch, tokens, 3, heads, width / heads).permute(2, 0, 3, 1, 4);
        using var attended = no_grad_value(() => nn.functional.scaled_dot_product_attention(q[0], q[1], q[2], null, 0.0, text));
        using var merged = attended.transpose(1, 2).reshape(batch, tokens, width);
        using var hidden = no_grad_value(() => block.Mlp.Fc.forward(normed));
        using var activated = no_grad_value(() => hidden * sigmoid(hidden * 1.702));

        using var query32 = q[0].to(ScalarType.Float32);
        using var key32 = q[1].to(ScalarType.Float32);
        using var scores = query32.matmul(key32.transpose(-2, -1));
        using var probabilities = scores.softmax(-1).to(q.dtype);
        var ops = new (string Name, Func<Tensor> Op)[]
        {
            ("layer_norm (fp32)", () => block.Norm1.forward(x)),
            ("in_proj (cast + linear)", () => attention.InProj.forward(normed)),
            ("qkv permute + SDPA", () => nn.functional.scaled_dot_product_attention(q[0], q[1], q[2], null, 0.0, text)),
            ("math attention (fp32 scores)", () => MathAttention(q)),
            ("  of which: q, k to fp32", () => q[0].to(ScalarType.Float32).add(q[1].to(ScalarType.Float32))),
            ("  of which: scores q·kᵀ (fp32)", () => query32.matmul(key32.transpose(-2, -1))),
            ("  of which: softmax (fp32) + cast", () => scores.softmax(-1).to(q.dtype)),
            ("  of which: probabilities · v", () => probabilities.matmul(q[2])),
            ("merge heads + out_proj", () => attention.OutProj.forward(attended.transpose(1, 2).reshape(batch, tokens, width))),
            ("residual add (cast to fp32)", () => x + merged.to(ScalarType.Float32)),
            ("mlp c_fc (cast + linear)", () => block.Mlp.Fc.forward(normed)),
            ("quick_gelu", () => hidden * sigmoid(hidden * 1.702)),
            ("mlp c_proj", () => block.Mlp.Proj.forward(activated)),
            ("whole block forward", () => block.forward(x)),
        };
        foreach (var (name, op) in ops)
            yield return new Measurement("profile", setting, name, Time(op), "ms");

        // Each operation's backward on its own, into its input (the weights are frozen).
        double TimeBackward(Tensor input, Func<Tensor, Tensor> op)
        {
            var total = 0.0;
            for (var i = 0; i <= iterations; i++)
            {
                using var scope = NewDisposeScope();
                var leaf = input.detach().requires_grad_(true);
                var output = op(leaf);
                var gradient = ones_like(output);
                var timing = new Timing();
                output.backward([gradient]);
                if (i > 0)
                    total += timing.Seconds;
            }
            return total / iterations * 1000;
        }

        var backwardOps = new (string Name, Tensor Input, Func<Tensor, Tensor> Op)[]
        {
            ("layer_norm (fp32)", x, t => block.Norm1.forward(t)),
            ("in_proj (cast + linear)", normed, t => attention.InProj.forward(t)),
            ("SDPA", qkv, t =>
            {
                var p = t.view(batch, tokens, 3, heads, width / heads).permute(2, 0, 3, 1, 4);
                return nn.functional.scaled_dot_product_attention(p[0], p[1], p[2], null, 0.0, text);
            }),
            ("math attention (fp32 scores)", qkv, t => MathAttention(t.view(batch, tokens, 3, heads, width / heads).permute(2, 0, 3, 1, 4))),
            ("out_proj", merged, t => attention.OutProj.forward(t)),
            ("mlp c_fc (cast + linear)", normed, t => block.Mlp.Fc.forward(t)),
            ("quick_gelu", hidden, t => t * sigmoid(t * 1.702)),
            ("mlp c_proj", activated, t => block.Mlp.Proj.forward(t)),
        };
        foreach (var (name, input, op) in backwardOps)
            yield return new Measurement("profile", setting, $"backward: {name}", TimeBackward(input, op), "ms");

        // The whole block with gradients into its input only (the weights are frozen): the memory-saving
        // backward, then plain autograd.
        using var memorySaving = new MemorySavingBackward();
        foreach (var path in new[] { "memory-saving backward", "autograd" })
        {
            var forward = 0.0;
            var backward = 0.0;
            for (var i = 0; i <= iterations; i++)
            {
                using var scope = NewDisposeScope();
                var input = x.detach().requires_grad_(true);
                var timing = new Timing();
                var output = path == "autograd" ? block.forward(input) : memorySaving.Forward(block, input);
                var f = timing.CpuSeconds;
                output.backward([ones_like(output)]);
                if (i == 0)
                    continue; // warm-up
                forward += f;
                backward += timing.CpuSeconds - f;
            }
            yield return new Measurement("profile", setting, $"block forward ({path}), CPU", forward / iterations * 1000, "ms");
            yield return new Measurement("profile", setting, $"block backward ({path}), CPU", backward / iterations * 1000, "ms");
        }
    }

    static Tensor no_grad_value(Func<Tensor> op)
    {
        using var _ = no_grad();
        return op();
    }
}
