using System.Text.Json;
using System.Text.Json.Nodes;
using Maple.Imaging;

namespace Maple.Clip;

/// <summary>
/// Reads open_clip's model configs: <c>open_clip_config.json</c> as open_clip saves it beside its weights
/// (<c>{"model_cfg": {...}, "preprocess_cfg": {...}}</c>) and the bare model configs of its
/// <c>model_configs/</c> folder (<c>{"embed_dim", "vision_cfg", "text_cfg", "quick_gelu"}</c>).
/// </summary>
/// <remarks>
/// Missing fields take open_clip's defaults (<c>CLIPVisionCfg</c>, <c>CLIPTextCfg</c>): head_width 64,
/// mlp_ratio 4, quick_gelu false (GELU), LayerNorm eps 1e-5. Heads are <c>width / head_width</c> in the
/// image tower and <c>heads</c> in the text tower; the MLP width is <c>int(width * mlp_ratio)</c>. An
/// option that changes the architecture away from the plain CLIP ViT (layer scale, attentional pooling, a
/// timm or Hugging Face tower, ...) is refused by name rather than ignored, as is an option open_clip
/// itself does not know.
/// </remarks>
public static class OpenClipConfig
{
    /// <summary>The usual file name beside open_clip weights.</summary>
    public const string FileName = "open_clip_config.json";

    // Options that leave the plain CLIP ViT as it is, or matter only for training, tokenizing or other towers.
    static readonly HashSet<string> IgnoredVision =
    [
        "image_seq_len", "patch_dropout", "output_tokens", "attn_pooler_queries", "attn_pooler_heads",
        "timm_model_pretrained", "timm_pool", "timm_proj", "timm_proj_bias", "timm_drop", "timm_drop_path", "timm_model_kwargs",
    ];

    static readonly HashSet<string> IgnoredText =
    [
        "hf_tokenizer_name", "tokenizer_mode", "tokenizer_kwargs", "pad_id", "bos_id", "eos_id", "tokenizer_type", "tiktoken_name",
        "output_tokens", "hf_model_pretrained", "hf_proj_type", "hf_pooler_type", "hf_model_config",
    ];

    static readonly HashSet<string> IgnoredModel = ["init_logit_scale", "cast_dtype", "output_dict"];

    // Options that change the architecture, and the value under which they leave it as Maple builds it.
    static readonly Dictionary<string, JsonNode?> PlainVision = new()
    {
        ["ls_init_value"] = null, ["attentional_pool"] = false, ["no_ln_pre"] = false, ["pos_embed_type"] = "learnable",
        ["final_ln_after_pool"] = false, ["pool_type"] = "tok", ["act_kwargs"] = null, ["block_type"] = null,
        ["qk_norm"] = false, ["scaled_cosine_attn"] = false, ["scale_heads"] = false, ["scale_attn_inner"] = false,
        ["scale_attn"] = false, ["scale_fc"] = false, ["timm_model_name"] = null,
    };

    static readonly Dictionary<string, JsonNode?> PlainText = new()
    {
        ["text_arch"] = "clip", ["variable_text"] = false, ["hf_model_name"] = null, ["embed_cls"] = false,
        ["no_causal_mask"] = false, ["final_ln_after_pool"] = false, ["pool_type"] = "argmax", ["proj_bias"] = false,
        ["proj_type"] = "linear", ["ls_init_value"] = null, ["act_kwargs"] = null, ["block_type"] = null,
        ["qk_norm"] = false, ["scaled_cosine_attn"] = false, ["scale_heads"] = false, ["scale_attn_inner"] = false,
        ["scale_attn"] = false, ["scale_fc"] = false, ["norm_type"] = null,
    };

    static readonly Dictionary<string, JsonNode?> PlainModel = new()
    {
        ["custom_text"] = false, ["init_logit_bias"] = null, ["nonscalar_logit_scale"] = false,
    };

    /// <summary>Whether <paramref name="json"/> is an open_clip config (rather than a Hugging Face one).</summary>
    public static bool IsOpenClip(JsonObject json) =>
        json["model_cfg"] is JsonObject || (json.ContainsKey("vision_cfg") && json.ContainsKey("text_cfg"));

    /// <summary>Reads an open_clip config file.</summary>
    /// <exception cref="InvalidDataException">The file is not an open_clip config, or describes a model Maple cannot build.</exception>
    public static ClipConfig ReadFile(string path)
    {
        var json = ClipConfig.ReadJsonObject(path);
        if (!IsOpenClip(json))
            throw new InvalidDataException($"{path}: not an open_clip config (no model_cfg, nor vision_cfg and text_cfg)");
        return Parse(json, path);
    }

    /// <summary>Reads an open_clip config object; <paramref name="source"/> names it in errors.</summary>
    public static ClipConfig Parse(JsonObject json, string source)
    {
        var model = json["model_cfg"] as JsonObject ?? json;
        var vision = model["vision_cfg"] as JsonObject ?? throw Invalid(source, "model_cfg has no 'vision_cfg' object (Maple needs an image tower)");
        var text = model["text_cfg"] as JsonObject ?? throw Invalid(source, "model_cfg has no 'text_cfg' object");
        if (vision["layers"] is JsonArray)
            throw Invalid(source, "the image tower is a ResNet ('vision_cfg.layers' is a list): Maple supports ViT image encoders only");

        CheckOptions(model, "", ["embed_dim", "vision_cfg", "text_cfg", "quick_gelu"], IgnoredModel, PlainModel, source);
        CheckOptions(vision, "vision_cfg.", ["layers", "width", "head_width", "mlp_ratio", "patch_size", "image_size", "norm_kwargs"],
            IgnoredVision, PlainVision, source);
        CheckOptions(text, "text_cfg.", ["context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio", "norm_kwargs"],
            IgnoredText, PlainText, source);

        // open_clip's nn.GELU (exact, erf-based) unless the config asks for OpenAI's QuickGELU.
        var activation = Bool(model, "quick_gelu", false, "", source) ? "quick_gelu" : "gelu";
        var visionWidth = Int(vision, "width", 768, "vision_cfg.", source);
        var headWidth = Int(vision, "head_width", 64, "vision_cfg.", source);
        if (headWidth <= 0 || visionWidth % headWidth != 0)
            throw Invalid(source, $"vision_cfg.width {visionWidth} is not a multiple of vision_cfg.head_width {headWidth}");
        var textWidth = Int(text, "width", 512, "text_cfg.", source);

        var config = new ClipConfig(
            new ClipTextConfig(
                VocabularySize: Int(text, "vocab_size", 49408, "text_cfg.", source),
                Width: textWidth,
                Layers: Int(text, "layers", 12, "text_cfg.", source),
                Heads: Int(text, "heads", 8, "text_cfg.", source),
                IntermediateSize: (int)(textWidth * Number(text, "mlp_ratio", 4.0, "text_cfg.", source)),
                ContextLength: Int(text, "context_length", 77, "text_cfg.", source),
                Activation: activation,
                LayerNormEps: Eps(text, "text_cfg.", source)),
            new ClipVisionConfig(
                Width: visionWidth,
                Layers: Int(vision, "layers", 12, "vision_cfg.", source),
                Heads: visionWidth / headWidth,
                IntermediateSize: (int)(visionWidth * Number(vision, "mlp_ratio", 4.0, "vision_cfg.", source)),
                ImageSize: ImageSize(vision, source),
                PatchSize: Int(vision, "patch_size", 16, "vision_cfg.", source),
                Activation: activation,
                LayerNormEps: Eps(vision, "vision_cfg.", source)),
            EmbedDim: model.ContainsKey("embed_dim") ? Int(model, "embed_dim", 0, "", source) : throw Invalid(source, "missing 'embed_dim'"));
        config.Validate(source);
        return config;
    }

    /// <summary>The <c>preprocess_cfg</c> mean and std of an <c>open_clip_config.json</c>, or null when it gives none.</summary>
    /// <exception cref="InvalidDataException">The file or its mean/std is malformed.</exception>
    public static ImageNormalization? ReadNormalization(string path)
    {
        return ClipConfig.ReadJsonObject(path)["preprocess_cfg"] is JsonObject preprocess
            ? PreprocessorConfig.Normalization(preprocess, "mean", "std", path)
            : null;
    }

    static void CheckOptions(JsonObject json, string prefix, string[] read, HashSet<string> ignored, Dictionary<string, JsonNode?> plain, string source)
    {
        foreach (var (key, value) in json)
        {
            if (read.Contains(key) || ignored.Contains(key))
                continue;
            if (!plain.TryGetValue(key, out var expected))
                throw Invalid(source, $"unknown option '{prefix}{key}' (open_clip itself would refuse it)");
            if (!JsonNode.DeepEquals(value, expected) && !IsPlainAlias(key, value))
                throw Invalid(source,
                    $"'{prefix}{key}' is {value?.ToJsonString() ?? "null"}: Maple builds the plain CLIP ViT, which needs {expected?.ToJsonString() ?? "null"} here");
        }
        if (json["norm_kwargs"] is JsonObject norm && norm.Any(p => p.Key != "eps"))
            throw Invalid(source, $"'{prefix}norm_kwargs' may only set eps, not {string.Join(", ", norm.Where(p => p.Key != "eps").Select(p => p.Key))}");
    }

    // Values that name what the defaults already build.
    static bool IsPlainAlias(string key, JsonNode? value) => (key, value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null) is
        ("block_type", "default") or ("norm_type", "layernorm");

    static double Eps(JsonObject tower, string prefix, string source) =>
        tower["norm_kwargs"] is JsonObject norm ? Number(norm, "eps", 1e-5, prefix + "norm_kwargs.", source) : 1e-5;

    static int ImageSize(JsonObject vision, string source)
    {
        if (vision["image_size"] is not JsonArray pair)
            return Int(vision, "image_size", 224, "vision_cfg.", source);
        var sides = pair.Select(v => v is JsonValue value && value.TryGetValue<int>(out var side) ? side : -1).ToArray();
        if (sides.Length != 2 || sides[0] <= 0 || sides[0] != sides[1])
            throw Invalid(source, $"vision_cfg.image_size {pair.ToJsonString()} is not a square size: Maple supports square images only");
        return sides[0];
    }

    static int Int(JsonObject o, string key, int fallback, string prefix, string source) =>
        Value(o, key, fallback, prefix, source, v => v > 0, "a positive integer");

    static double Number(JsonObject o, string key, double fallback, string prefix, string source) =>
        Value(o, key, fallback, prefix, source, v => v > 0 && double.IsFinite(v), "a positive number");

    static bool Bool(JsonObject o, string key, bool fallback, string prefix, string source) =>
        Value(o, key, fallback, prefix, source, _ => true, "true or false");

    static T Value<T>(JsonObject o, string key, T fallback, string prefix, string source, Func<T, bool> valid, string expected)
    {
        var node = o[key];
        if (node is null)
            return fallback;
        if (node is JsonValue value && value.TryGetValue<T>(out var result) && valid(result))
            return result;
        throw Invalid(source, $"'{prefix}{key}' must be {expected}, not {node.ToJsonString()}");
    }

    static InvalidDataException Invalid(string source, string what) => new($"{source}: {what}");
}
