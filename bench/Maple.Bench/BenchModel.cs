using Maple.Clip;

namespace Maple.Bench;

/// <summary>The benchmarked architecture: CLIP ViT-B/16, with random weights.</summary>
public static class BenchModel
{
    /// <summary>The seed of the random weights, so every run measures the same model.</summary>
    public const long Seed = 0;

    /// <summary>ViT-B/16's dimensions (vision 768 wide, 12 layers, 12 heads, patch 16, 224 px; text 512 wide, 12 layers, 8 heads; embedding 512).</summary>
    public static ClipConfig VitB16 { get; } = new(
        new ClipTextConfig(VocabularySize: 49408, Width: 512, Layers: 12, Heads: 8, IntermediateSize: 2048, ContextLength: 77,
            Activation: "quick_gelu", LayerNormEps: 1e-5),
        new ClipVisionConfig(Width: 768, Layers: 12, Heads: 12, IntermediateSize: 3072, ImageSize: 224, PatchSize: 16,
            Activation: "quick_gelu", LayerNormEps: 1e-5),
        EmbedDim: 512);

    /// <summary>Whether <paramref name="folder"/> already holds this model's weights and config.</summary>
    public static bool IsWritten(string folder)
    {
        var config = Path.Combine(folder, "config.json");
        // The writer replaces model.safetensors before config.json, so a config means complete weights.
        return File.Exists(Path.Combine(folder, "model.safetensors")) && File.Exists(config)
            && ClipConfig.FromHuggingFaceFile(config) == VitB16;
    }

    /// <summary>Whether the folder holds CLIP's tokenizer files.</summary>
    public static bool HasTokenizer(string folder) =>
        File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt"));
}
