namespace Maple.Clip.Weights;

/// <summary>The naming scheme of a CLIP checkpoint, and how its keys map to our parameters.</summary>
public abstract class CheckpointLayout
{
    /// <summary>Hugging Face <c>CLIPModel</c> names (<c>vision_model.encoder.layers.N.self_attn.q_proj.weight</c>, ...).</summary>
    public static CheckpointLayout HuggingFace { get; } = new HuggingFaceLayout();

    /// <summary>OpenAI's names, also used by open_clip (<c>visual.transformer.resblocks.N.attn.in_proj_weight</c>, ...).</summary>
    public static CheckpointLayout OpenAI { get; } = new OpenAILayout();

    /// <summary>A short name for messages.</summary>
    public abstract string Name { get; }

    /// <summary>Keys that may be present but carry nothing we need (position ids, metadata buffers).</summary>
    public abstract bool IsIgnorable(string key);

    /// <summary>Whether a set of keys looks like this layout.</summary>
    public abstract bool Matches(IReadOnlyDictionary<string, long[]> shapes);

    /// <summary>The recipe for each of our parameters.</summary>
    public abstract IEnumerable<WeightRecipe> Recipes(ClipConfig config);

    /// <summary>Picks the layout whose marker keys are present, or throws naming the file.</summary>
    public static CheckpointLayout Detect(IReadOnlyDictionary<string, long[]> shapes, string path)
    {
        if (HuggingFace.Matches(shapes))
            return HuggingFace;
        if (OpenAI.Matches(shapes))
            return OpenAI;
        var sample = string.Join(", ", shapes.Keys.Take(5));
        throw new InvalidDataException(
            $"{path}: unknown checkpoint format: neither Hugging Face CLIPModel nor OpenAI/open_clip CLIP key names (first keys: {sample})");
    }

    /// <summary>The weight and bias of a LayerNorm.</summary>
    protected static IEnumerable<WeightRecipe> Norm(string ours, string theirs) =>
        [WeightRecipe.Same($"{ours}.weight", $"{theirs}.weight"), WeightRecipe.Same($"{ours}.bias", $"{theirs}.bias")];

    /// <summary>Our names inside one transformer block, and the block's key prefix in both layouts.</summary>
    protected static IEnumerable<(string Ours, string Theirs)> BlockParameters(bool huggingFace) => huggingFace
        ? [("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"), ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")]
        : [("attn.out_proj", "attn.out_proj"), ("ln_1", "ln_1"), ("ln_2", "ln_2"), ("mlp.c_fc", "mlp.c_fc"), ("mlp.c_proj", "mlp.c_proj")];
}
