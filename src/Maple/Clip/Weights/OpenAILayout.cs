namespace Maple.Clip.Weights;

/// <summary>OpenAI's CLIP state dicts (the original <c>.pt</c> archives, and open_clip's safetensors).</summary>
sealed class OpenAILayout : CheckpointLayout
{
    static readonly HashSet<string> Metadata = ["input_resolution", "context_length", "vocab_size"];

    public override string Name => "OpenAI";

    public override bool IsIgnorable(string key) => Metadata.Contains(key) || key.EndsWith("attn_mask", StringComparison.Ordinal);

    public override bool Matches(IReadOnlyDictionary<string, long[]> shapes) =>
        shapes.ContainsKey("visual.conv1.weight") && shapes.ContainsKey("token_embedding.weight");

    public override IEnumerable<WeightRecipe> Recipes(ClipConfig config)
    {
        yield return WeightRecipe.Same("visual.conv1", "visual.conv1.weight");
        yield return WeightRecipe.Same("visual.class_embedding", "visual.class_embedding");
        yield return WeightRecipe.Same("visual.positional_embedding", "visual.positional_embedding");
        foreach (var r in Norm("visual.ln_pre", "visual.ln_pre"))
            yield return r;
        foreach (var r in Blocks("visual.transformer", "visual.transformer", config.Vision.Layers))
            yield return r;
        foreach (var r in Norm("visual.ln_post", "visual.ln_post"))
            yield return r;
        yield return new WeightRecipe("visual.proj.weight", ["visual.proj"], WeightTransform.Transpose);

        yield return WeightRecipe.Same("text.token_embedding", "token_embedding.weight");
        yield return WeightRecipe.Same("text.positional_embedding", "positional_embedding");
        foreach (var r in Blocks("text.transformer", "transformer", config.Text.Layers))
            yield return r;
        foreach (var r in Norm("text.ln_final", "ln_final"))
            yield return r;
        yield return new WeightRecipe("text.text_projection.weight", ["text_projection"], WeightTransform.Transpose);
        yield return WeightRecipe.Same("logit_scale", "logit_scale");
    }

    /// <summary>
    /// Derives the architecture from the weights' shapes, as OpenAI's <c>build_model</c> does: these
    /// checkpoints carry no config. Heads are width / 64 in every OpenAI CLIP.
    /// </summary>
    public static ClipConfig InferConfig(IReadOnlyDictionary<string, long[]> shapes, string path)
    {
        long[] Shape(string key) => shapes.TryGetValue(key, out var s)
            ? s
            : throw new InvalidDataException($"{path}: missing key '{key}', needed to infer the architecture");
        int Count(string prefix) => shapes.Keys.Count(k =>
            k.StartsWith(prefix, StringComparison.Ordinal) && k.EndsWith(".attn.in_proj_weight", StringComparison.Ordinal));

        if (shapes.ContainsKey("visual.layer1.0.conv1.weight"))
            throw new InvalidDataException($"{path} holds a CLIP with a ResNet image encoder (RN50, RN101, ...): Maple supports ViT image encoders only");
        var conv = Shape("visual.conv1.weight");
        var visionWidth = (int)conv[0];
        var patch = (int)conv[^1];
        var grid = (int)Math.Round(Math.Sqrt(Shape("visual.positional_embedding")[0] - 1));
        var textWidth = (int)Shape("ln_final.weight")[0];
        var config = new ClipConfig(
            new ClipTextConfig(
                VocabularySize: (int)Shape("token_embedding.weight")[0],
                Width: textWidth,
                Layers: Count("transformer.resblocks."),
                Heads: textWidth / 64,
                IntermediateSize: (int)Shape("transformer.resblocks.0.mlp.c_fc.weight")[0],
                ContextLength: (int)Shape("positional_embedding")[0],
                Activation: "quick_gelu",
                LayerNormEps: 1e-5),
            new ClipVisionConfig(
                Width: visionWidth,
                Layers: Count("visual.transformer.resblocks."),
                Heads: visionWidth / 64,
                IntermediateSize: (int)Shape("visual.transformer.resblocks.0.mlp.c_fc.weight")[0],
                ImageSize: patch * grid,
                PatchSize: patch,
                Activation: "quick_gelu",
                LayerNormEps: 1e-5),
            EmbedDim: (int)Shape("text_projection")[1]);
        config.Validate(path);
        return config;
    }

    static IEnumerable<WeightRecipe> Blocks(string ours, string theirs, int layers)
    {
        for (var i = 0; i < layers; i++)
        {
            var (o, t) = ($"{ours}.resblocks.{i}", $"{theirs}.resblocks.{i}");
            yield return WeightRecipe.Same($"{o}.attn.in_proj.weight", $"{t}.attn.in_proj_weight");
            yield return WeightRecipe.Same($"{o}.attn.in_proj.bias", $"{t}.attn.in_proj_bias");
            foreach (var kind in new[] { "weight", "bias" })
            {
                foreach (var (ourPart, theirPart) in BlockParameters(huggingFace: false))
                    yield return WeightRecipe.Same($"{o}.{ourPart}.{kind}", $"{t}.{theirPart}.{kind}");
            }
        }
    }
}
