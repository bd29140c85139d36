using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip;

/// <summary>
/// Initialises a <see cref="ClipModel"/> for training from scratch as OpenAI's CLIP does: its
/// <c>initialize_parameters</c> for the text side (token embeddings N(0, 0.02), positions N(0, 0.01),
/// attention N(0, w^-½), output projections N(0, w^-½·(2L)^-½), MLP input N(0, (2w)^-½)) and PyTorch's
/// defaults that its ViT keeps (Xavier-uniform q/k/v, U(±1/√fan_in) for the other linear layers and the
/// patch convolution, class token, positions and projection N(0, w^-½)). Biases start at zero,
/// LayerNorms at unit scale. A uniform N(0, 0.02) (<see cref="ClipModel.InitializeRandom"/>) is fine for
/// benchmarks but leaves attention almost uniform in a narrow model, which then learns little but colour.
/// </summary>
public static class ClipInitialization
{
    /// <summary>Fills every weight of <paramref name="model"/> from a generator seeded with <paramref name="seed"/>.</summary>
    public static void InitializeForTraining(this ClipModel model, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var (text, vision) = (model.Config.Text, model.Config.Vision);
        using var _ = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            Tensor Normal(double std) => normal(0, std, parameter.shape, generator: generator);
            Tensor Uniform(double bound) => rand(parameter.shape, generator: generator) * (2 * bound) - bound;

            Tensor? value;
            if (name == "logit_scale")
                value = full([], model.Config.LogitScaleInit);
            else if (name.Contains(".ln_", StringComparison.Ordinal))
                value = null; // unit scale, zero shift, as constructed
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                value = zeros(parameter.shape);
            else if (name.StartsWith("text.", StringComparison.Ordinal))
                value = TextWeight(name, text, Normal);
            else
                value = VisionWeight(name, vision, Normal, Uniform);
            if (value is not null)
                parameter.copy_(value.to(parameter.dtype));
        }
    }

    static Tensor TextWeight(string name, ClipTextConfig text, Func<double, Tensor> normal)
    {
        var width = (double)text.Width;
        var attention = Math.Pow(width, -0.5);
        var projection = attention * Math.Pow(2.0 * text.Layers, -0.5);
        return name switch
        {
            "text.token_embedding" => normal(0.02),
            "text.positional_embedding" => normal(0.01),
            "text.text_projection.weight" => normal(attention),
            _ when name.EndsWith(".attn.in_proj.weight", StringComparison.Ordinal) => normal(attention),
            _ when name.EndsWith(".attn.out_proj.weight", StringComparison.Ordinal) => normal(projection),
            _ when name.EndsWith(".mlp.c_fc.weight", StringComparison.Ordinal) => normal(Math.Pow(2 * width, -0.5)),
            _ when name.EndsWith(".mlp.c_proj.weight", StringComparison.Ordinal) => normal(projection),
            _ => throw new InvalidOperationException($"no initialisation rule for '{name}'"),
        };
    }

    static Tensor VisionWeight(string name, ClipVisionConfig vision, Func<double, Tensor> normal, Func<double, Tensor> uniform)
    {
        var width = (double)vision.Width;
        var scale = Math.Pow(width, -0.5);
        return name switch
        {
            "visual.conv1" => uniform(1 / Math.Sqrt(3.0 * vision.PatchSize * vision.PatchSize)),
            "visual.class_embedding" or "visual.positional_embedding" or "visual.proj.weight" => normal(scale),
            _ when name.EndsWith(".attn.in_proj.weight", StringComparison.Ordinal) => uniform(Math.Sqrt(6 / (width + 3 * width))),
            _ when name.EndsWith(".attn.out_proj.weight", StringComparison.Ordinal) => uniform(1 / Math.Sqrt(width)),
            _ when name.EndsWith(".mlp.c_fc.weight", StringComparison.Ordinal) => uniform(1 / Math.Sqrt(width)),
            _ when name.EndsWith(".mlp.c_proj.weight", StringComparison.Ordinal) => uniform(1 / Math.Sqrt(vision.IntermediateSize)),
            _ => throw new InvalidOperationException($"no initialisation rule for '{name}'"),
        };
    }
}
