namespace Maple.Clip.Weights;

/// <summary>OpenAI's CLIP state dicts (the original <c>.pt</c> archives, and open_clip's safetensors).</summary>
sealed class OpenAILayout : CheckpointLayout
{
    static readonly HashSet<string> Metadata = ["input_resolution", "context_length", "vocab_size"];

    // OpenAI's build_model: heads = width // 64 in both towers.
    const int OpenAIHeadWidth = 64;

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
    /// Whether the weights carry the three integer entries that only OpenAI's own CLIP archives have
    /// (<c>input_resolution</c>, <c>context_length</c>, <c>vocab_size</c>; OpenAI's <c>build_model</c> drops them).
    /// </summary>
    public static bool IsOpenAIArchive(ITensorSource source) => Metadata.All(source.Shapes.ContainsKey);

    /// <summary>
    /// The architecture of one of OpenAI's archives: sizes from the shapes, and OpenAI's convention for what no
    /// shape shows, as its <c>build_model</c> does: heads 64 wide in both towers, QuickGELU. The archive's
    /// integer entries must agree with the shapes.
    /// </summary>
    public static ClipConfig InferOpenAIArchiveConfig(ITensorSource source, string path)
    {
        var config = InferConfig(source.Shapes, path, declared: null);
        foreach (var (key, shown) in new[] { ("input_resolution", config.Vision.ImageSize), ("context_length", config.Text.ContextLength), ("vocab_size", config.Text.VocabularySize) })
        {
            if (source.Shapes[key].Length != 0)
                throw new InvalidDataException($"{path}: '{key}' should be a single integer, but has shape [{string.Join(", ", source.Shapes[key])}]");
            using var value = source.Read(key);
            var stated = value.to_type(TorchSharp.torch.ScalarType.Int64).item<long>();
            if (stated != shown)
                throw new InvalidDataException($"{path}: '{key}' says {stated}, but the weights' shapes give {shown}");
        }
        return config;
    }

    /// <summary>
    /// Derives the architecture from the weights' shapes, as OpenAI's <c>build_model</c> does: every width,
    /// depth, MLP width, patch and image size, context length, vocabulary and the embedding width. The heads,
    /// activation and LayerNorm epsilon, which no shape shows, are taken from <paramref name="declared"/>, or
    /// follow OpenAI's convention (heads 64 wide, QuickGELU) when it is null.
    /// </summary>
    public static ClipConfig InferConfig(IReadOnlyDictionary<string, long[]> shapes, string path, ClipConfig? declared)
    {
        long[] Shape(string key) => shapes.TryGetValue(key, out var s)
            ? s
            : throw new InvalidDataException($"{path}: missing key '{key}', needed to infer the architecture");
        int Count(string prefix) => shapes.Keys.Count(k =>
            k.StartsWith(prefix, StringComparison.Ordinal) && k.EndsWith(".attn.in_proj_weight", StringComparison.Ordinal));

        RejectResNet(shapes, path);
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
                Heads: declared?.Text.Heads ?? textWidth / OpenAIHeadWidth,
                IntermediateSize: (int)Shape("transformer.resblocks.0.mlp.c_fc.weight")[0],
                ContextLength: (int)Shape("positional_embedding")[0],
                Activation: declared?.Text.Activation ?? "quick_gelu",
                LayerNormEps: declared?.Text.LayerNormEps ?? 1e-5),
            new ClipVisionConfig(
                Width: visionWidth,
                Layers: Count("visual.transformer.resblocks."),
                Heads: declared?.Vision.Heads ?? visionWidth / OpenAIHeadWidth,
                IntermediateSize: (int)Shape("visual.transformer.resblocks.0.mlp.c_fc.weight")[0],
                ImageSize: patch * grid,
                PatchSize: patch,
                Activation: declared?.Vision.Activation ?? "quick_gelu",
                LayerNormEps: declared?.Vision.LayerNormEps ?? 1e-5),
            EmbedDim: (int)Shape("text_projection")[1],
            LogitScaleInit: declared?.LogitScaleInit ?? 2.6592);
        // A declared config was validated when read; where the shapes contradict it, Contradictions says so.
        if (declared is null)
            config.Validate(path);
        return config;
    }

    /// <summary>Refuses OpenAI's ResNet CLIPs (RN50, ...), whose image encoder Maple does not implement.</summary>
    public static void RejectResNet(IReadOnlyDictionary<string, long[]> shapes, string path)
    {
        if (shapes.ContainsKey("visual.layer1.0.conv1.weight"))
            throw new InvalidDataException($"{path} holds a CLIP with a ResNet image encoder (RN50, RN101, ...): Maple supports ViT image encoders only");
    }

    /// <summary>Where a config and the weights' shapes disagree on a size the shapes fix, one phrase each.</summary>
    public static IEnumerable<string> Contradictions(ClipConfig declared, ClipConfig derived)
    {
        var sizes = new (string What, int Declared, int Derived)[]
        {
            ("text vocabulary", declared.Text.VocabularySize, derived.Text.VocabularySize),
            ("text width", declared.Text.Width, derived.Text.Width),
            ("text layers", declared.Text.Layers, derived.Text.Layers),
            ("text MLP width", declared.Text.IntermediateSize, derived.Text.IntermediateSize),
            ("context length", declared.Text.ContextLength, derived.Text.ContextLength),
            ("vision width", declared.Vision.Width, derived.Vision.Width),
            ("vision layers", declared.Vision.Layers, derived.Vision.Layers),
            ("vision MLP width", declared.Vision.IntermediateSize, derived.Vision.IntermediateSize),
            ("image size", declared.Vision.ImageSize, derived.Vision.ImageSize),
            ("patch size", declared.Vision.PatchSize, derived.Vision.PatchSize),
            ("embedding width", declared.EmbedDim, derived.EmbedDim),
        };
        return sizes.Where(s => s.Declared != s.Derived).Select(s => $"{s.What} {s.Declared} in the config, {s.Derived} in the weights");
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
