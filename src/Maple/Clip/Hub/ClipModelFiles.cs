namespace Maple.Clip.Hub;

/// <summary>The files of a Hugging Face CLIP repository that Maple needs.</summary>
public static class ClipModelFiles
{
    /// <summary>The weights file; only safetensors weights are loaded.</summary>
    public const string Weights = "model.safetensors";

    /// <summary>Files without which the model cannot be loaded; config first, as it pins the commit for the rest.</summary>
    public static IReadOnlyList<string> Required { get; } = ["config.json", Weights, "vocab.json", "merges.txt"];

    /// <summary>Files used when present; a repository without them still resolves.</summary>
    public static IReadOnlyList<string> Optional { get; } =
        ["preprocessor_config.json", "tokenizer_config.json", "special_tokens_map.json"];
}
