using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maple.Clip;

/// <summary>The text transformer's dimensions.</summary>
/// <param name="VocabularySize">Token vocabulary size (49,408 for CLIP's BPE).</param>
/// <param name="Width">Residual stream width.</param>
/// <param name="Layers">Number of residual attention blocks.</param>
/// <param name="Heads">Attention heads per block.</param>
/// <param name="IntermediateSize">Hidden width of the MLP.</param>
/// <param name="ContextLength">Maximum number of tokens (77).</param>
/// <param name="Activation">MLP activation: <c>quick_gelu</c> or <c>gelu</c>.</param>
/// <param name="LayerNormEps">LayerNorm epsilon.</param>
public sealed record ClipTextConfig(
    int VocabularySize, int Width, int Layers, int Heads, int IntermediateSize, int ContextLength,
    string Activation, double LayerNormEps);

/// <summary>The vision transformer's dimensions.</summary>
/// <param name="Width">Residual stream width.</param>
/// <param name="Layers">Number of residual attention blocks.</param>
/// <param name="Heads">Attention heads per block.</param>
/// <param name="IntermediateSize">Hidden width of the MLP.</param>
/// <param name="ImageSize">Input resolution in pixels (square).</param>
/// <param name="PatchSize">Patch size in pixels.</param>
/// <param name="Activation">MLP activation: <c>quick_gelu</c> or <c>gelu</c>.</param>
/// <param name="LayerNormEps">LayerNorm epsilon.</param>
public sealed record ClipVisionConfig(
    int Width, int Layers, int Heads, int IntermediateSize, int ImageSize, int PatchSize,
    string Activation, double LayerNormEps)
{
    /// <summary>Patches per side.</summary>
    public int GridSize => ImageSize / PatchSize;

    /// <summary>Tokens before any prompt: the class token and the patches.</summary>
    public int SequenceLength => GridSize * GridSize + 1;
}

/// <summary>A CLIP model's architecture: any size (ViT-B/32, B/16, L/14, L/14@336, ...) is read from here.</summary>
/// <param name="Text">The text transformer.</param>
/// <param name="Vision">The vision transformer.</param>
/// <param name="EmbedDim">Width of the joint embedding space.</param>
/// <param name="LogitScaleInit">Initial value of the (log) logit scale, used only when weights lack it.</param>
public sealed record ClipConfig(ClipTextConfig Text, ClipVisionConfig Vision, int EmbedDim, double LogitScaleInit = 2.6592)
{
    static readonly string[] Activations = ["quick_gelu", "gelu"];

    /// <summary>Reads a Hugging Face <c>config.json</c> of a <c>CLIPModel</c>.</summary>
    /// <exception cref="InvalidDataException">The file is not a CLIP config or misses a field.</exception>
    public static ClipConfig FromHuggingFaceFile(string path) => FromHuggingFace(ReadJsonObject(path), path);

    /// <summary>
    /// Reads a config file of either kind, told apart by its content: a Hugging Face <c>config.json</c>
    /// (<c>text_config</c>, <c>vision_config</c>) or an open_clip model config (<c>open_clip_config.json</c>
    /// with its <c>model_cfg</c>, or a bare one as in open_clip's <c>model_configs/</c>).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is neither kind, or describes a model Maple cannot build.</exception>
    public static ClipConfig FromFile(string path)
    {
        var json = ReadJsonObject(path);
        if (OpenClipConfig.IsOpenClip(json))
            return OpenClipConfig.Parse(json, path);
        if (json.ContainsKey("text_config") || json.ContainsKey("vision_config"))
            return FromHuggingFace(json, path);
        throw new InvalidDataException(
            $"{path}: not a CLIP config: expected a Hugging Face config.json (text_config, vision_config) or an open_clip config (model_cfg, or vision_cfg and text_cfg)");
    }

    /// <summary>The JSON object in <paramref name="path"/>; every failure names the file.</summary>
    internal static JsonObject ReadJsonObject(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: config file not found", path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {ex.Message}", ex);
        }
        return root as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
    }

    /// <summary>Reads a Hugging Face CLIP config object; <paramref name="source"/> names it in errors.</summary>
    public static ClipConfig FromHuggingFace(JsonObject json, string source)
    {
        var text = json["text_config"] as JsonObject ?? throw new InvalidDataException($"{source}: missing 'text_config' (is this a CLIP config?)");
        var vision = json["vision_config"] as JsonObject ?? throw new InvalidDataException($"{source}: missing 'vision_config' (is this a CLIP config?)");
        var embed = json["projection_dim"]?.GetValue<int>() ?? text["projection_dim"]?.GetValue<int>() ?? 512;

        // Hugging Face omits fields that equal its defaults (those of ViT-B/32), so missing ones fall back to them.
        var config = new ClipConfig(
            new ClipTextConfig(
                VocabularySize: Int(text, "vocab_size", 49408),
                Width: Int(text, "hidden_size", 512),
                Layers: Int(text, "num_hidden_layers", 12),
                Heads: Int(text, "num_attention_heads", 8),
                IntermediateSize: Int(text, "intermediate_size", 2048),
                ContextLength: Int(text, "max_position_embeddings", 77),
                Activation: Str(text, "hidden_act", "quick_gelu"),
                LayerNormEps: Dbl(text, "layer_norm_eps", 1e-5)),
            new ClipVisionConfig(
                Width: Int(vision, "hidden_size", 768),
                Layers: Int(vision, "num_hidden_layers", 12),
                Heads: Int(vision, "num_attention_heads", 12),
                IntermediateSize: Int(vision, "intermediate_size", 3072),
                ImageSize: Int(vision, "image_size", 224),
                PatchSize: Int(vision, "patch_size", 32),
                Activation: Str(vision, "hidden_act", "quick_gelu"),
                LayerNormEps: Dbl(vision, "layer_norm_eps", 1e-5)),
            embed,
            Dbl(json, "logit_scale_init_value", 2.6592));
        config.Validate(source);
        return config;
    }

    /// <summary>Checks that the dimensions are consistent; <paramref name="source"/> names the config in errors.</summary>
    public void Validate(string source)
    {
        void Check(bool ok, string what)
        {
            if (!ok)
                throw new InvalidDataException($"{source}: invalid CLIP config: {what}");
        }

        Check(Text.Width > 0 && Text.Heads > 0 && Text.Width % Text.Heads == 0, $"text width {Text.Width} is not a multiple of its {Text.Heads} heads");
        Check(Vision.Width > 0 && Vision.Heads > 0 && Vision.Width % Vision.Heads == 0, $"vision width {Vision.Width} is not a multiple of its {Vision.Heads} heads");
        Check(Vision.PatchSize > 0 && Vision.ImageSize % Vision.PatchSize == 0, $"image size {Vision.ImageSize} is not a multiple of patch size {Vision.PatchSize}");
        Check(Text.Layers > 0 && Vision.Layers > 0 && EmbedDim > 0, "layer counts and the embedding width must be positive");
        Check(Activations.Contains(Text.Activation), $"unsupported text activation '{Text.Activation}' (expected quick_gelu or gelu)");
        Check(Activations.Contains(Vision.Activation), $"unsupported vision activation '{Vision.Activation}' (expected quick_gelu or gelu)");
    }

    /// <summary>Writes the config in Hugging Face's <c>config.json</c> layout.</summary>
    public JsonObject ToHuggingFace() => new()
    {
        ["architectures"] = new JsonArray("CLIPModel"),
        ["model_type"] = "clip",
        ["projection_dim"] = EmbedDim,
        ["logit_scale_init_value"] = LogitScaleInit,
        ["text_config"] = new JsonObject
        {
            ["model_type"] = "clip_text_model",
            ["vocab_size"] = Text.VocabularySize,
            ["hidden_size"] = Text.Width,
            ["num_hidden_layers"] = Text.Layers,
            ["num_attention_heads"] = Text.Heads,
            ["intermediate_size"] = Text.IntermediateSize,
            ["max_position_embeddings"] = Text.ContextLength,
            ["hidden_act"] = Text.Activation,
            ["layer_norm_eps"] = Text.LayerNormEps,
            ["projection_dim"] = EmbedDim,
            // CLIP-style vocabularies end with <|startoftext|> and <|endoftext|> (49406 and 49407 in CLIP's).
            ["bos_token_id"] = Text.VocabularySize - 2,
            ["eos_token_id"] = Text.VocabularySize - 1,
        },
        ["vision_config"] = new JsonObject
        {
            ["model_type"] = "clip_vision_model",
            ["hidden_size"] = Vision.Width,
            ["num_hidden_layers"] = Vision.Layers,
            ["num_attention_heads"] = Vision.Heads,
            ["intermediate_size"] = Vision.IntermediateSize,
            ["image_size"] = Vision.ImageSize,
            ["patch_size"] = Vision.PatchSize,
            ["hidden_act"] = Vision.Activation,
            ["layer_norm_eps"] = Vision.LayerNormEps,
            ["projection_dim"] = EmbedDim,
            ["num_channels"] = 3,
        },
    };

    /// <summary>A short stable hash of the architecture, recorded in checkpoints to tie them to a backbone.</summary>
    public string Hash()
    {
        var canonical = JsonSerializer.Serialize(new { Text, Vision, EmbedDim });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
    }

    static int Int(JsonObject o, string key, int fallback) => o[key]?.GetValue<int>() ?? fallback;

    static double Dbl(JsonObject o, string key, double fallback) => o[key]?.GetValue<double>() ?? fallback;

    static string Str(JsonObject o, string key, string fallback) => o[key]?.GetValue<string>() ?? fallback;
}
