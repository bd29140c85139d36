using System.Text;
using System.Text.RegularExpressions;
using Maple.Clip;
using Maple.Clip.Safetensors;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

/// <summary>Builds checkpoint variants of the tiny-maple model in a temp folder, and reads features from models.</summary>
sealed partial class CheckpointFiles : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("maple-weights-").FullName;

    public static string FixtureWeights => Path.Combine(Fixtures.TinyMapleModel, "model.safetensors");

    public static string FixtureConfig => Path.Combine(Fixtures.TinyMapleModel, "config.json");

    /// <summary>The fixture's tensors, by Hugging Face name (the caller disposes them).</summary>
    public static Dictionary<string, Tensor> FixtureTensors()
    {
        using var file = SafetensorsFile.Open(FixtureWeights);
        return file.ReadAll();
    }

    /// <summary>Each tensor's dtype name and shape, by key, as the file's header gives them.</summary>
    public static Dictionary<string, (string DType, long[] Shape)> Header(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.Entries.ToDictionary(e => e.Key, e => (SafetensorsDTypes.Name(e.Value.DType), e.Value.Shape));
    }

    /// <summary>A Hugging Face folder with the fixture's config.json (or <paramref name="configJson"/>) and <paramref name="tensors"/>.</summary>
    public string HuggingFaceFolder(string name, IEnumerable<KeyValuePair<string, Tensor>> tensors, string? configJson = null)
    {
        var folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), configJson ?? File.ReadAllText(FixtureConfig));
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
        return folder;
    }

    /// <summary>
    /// The tiny-maple model as open_clip describes it: its heads are 64 wide in the image tower (192 / 3) and in
    /// the text tower (128 / 2), and it uses QuickGELU.
    /// </summary>
    public const string TinyOpenClipConfig = """
        {"model_cfg": {"embed_dim": 64, "quick_gelu": true,
          "vision_cfg": {"image_size": 224, "layers": 3, "width": 192, "patch_size": 32},
          "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 128, "heads": 2, "layers": 3}}}
        """;

    /// <summary>A folder with <paramref name="tensors"/> in OpenAI's layout and, unless null, <paramref name="openClipConfig"/> beside them.</summary>
    public string OpenClipFolder(string name, IEnumerable<KeyValuePair<string, Tensor>> tensors, string? openClipConfig = TinyOpenClipConfig)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;
        if (openClipConfig is not null)
            File.WriteAllText(Path.Combine(folder, "open_clip_config.json"), openClipConfig);
        SafetensorsWriter.Write(Path.Combine(folder, "open_clip_model.safetensors"), tensors);
        return folder;
    }

    /// <summary>A file of raw bytes: an 8-byte little-endian header length, the header, then the data.</summary>
    public string RawSafetensors(string name, long headerLength, string header, byte[] data)
    {
        var path = Path.Combine(Root, name);
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes(headerLength));
        stream.Write(Encoding.UTF8.GetBytes(header));
        stream.Write(data);
        return path;
    }

    /// <summary>A copy of <paramref name="source"/> with only its first <paramref name="length"/> bytes.</summary>
    public string Truncated(string name, string source, long length)
    {
        var path = Path.Combine(Root, name);
        using var input = File.OpenRead(source);
        using var output = File.Create(path);
        var buffer = new byte[length];
        input.ReadExactly(buffer);
        output.Write(buffer);
        return path;
    }

    /// <summary>
    /// The Hugging Face tensors renamed to OpenAI's CLIP state dict: q, k and v stacked into
    /// <c>in_proj</c>, the projections transposed to [width, embed].
    /// </summary>
    public static Dictionary<string, Tensor> ToOpenAI(IReadOnlyDictionary<string, Tensor> hf)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, value) in hf)
        {
            var block = Block().Match(key);
            if (block.Success)
            {
                var prefix = block.Groups["tower"].Value == "vision_model" ? "visual.transformer" : "transformer";
                var (layer, part, kind) = (block.Groups["layer"].Value, block.Groups["part"].Value, block.Groups["kind"].Value);
                var target = $"{prefix}.resblocks.{layer}";
                switch (part)
                {
                    case "self_attn.q_proj":
                        var stem = key[..^$"q_proj.{kind}".Length];
                        result[$"{target}.attn.in_proj_{kind}"] = cat([hf[$"{stem}q_proj.{kind}"], hf[$"{stem}k_proj.{kind}"], hf[$"{stem}v_proj.{kind}"]], 0);
                        break;
                    case "self_attn.k_proj" or "self_attn.v_proj":
                        break;
                    default:
                        result[$"{target}.{BlockPart(part)}.{kind}"] = value;
                        break;
                }
                continue;
            }
            var (name, transposed) = key switch
            {
                "vision_model.embeddings.patch_embedding.weight" => ("visual.conv1.weight", false),
                "vision_model.embeddings.class_embedding" => ("visual.class_embedding", false),
                "vision_model.embeddings.position_embedding.weight" => ("visual.positional_embedding", false),
                "vision_model.pre_layrnorm.weight" => ("visual.ln_pre.weight", false),
                "vision_model.pre_layrnorm.bias" => ("visual.ln_pre.bias", false),
                "vision_model.post_layernorm.weight" => ("visual.ln_post.weight", false),
                "vision_model.post_layernorm.bias" => ("visual.ln_post.bias", false),
                "visual_projection.weight" => ("visual.proj", true),
                "text_model.embeddings.token_embedding.weight" => ("token_embedding.weight", false),
                "text_model.embeddings.position_embedding.weight" => ("positional_embedding", false),
                "text_model.final_layer_norm.weight" => ("ln_final.weight", false),
                "text_model.final_layer_norm.bias" => ("ln_final.bias", false),
                "text_projection.weight" => ("text_projection", true),
                "logit_scale" => ("logit_scale", false),
                _ => throw new ArgumentException($"no OpenAI name for {key}"),
            };
            result[name] = transposed ? value.t().contiguous() : value;
        }
        return result;
    }

    /// <summary>Image features of tiny-maple's step-0 images and text features of the zero-shot prompts.</summary>
    public static (Tensor Image, Tensor Text) Features(ClipModel model)
    {
        using var inputs = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "inputs.safetensors"));
        using var zeroShot = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "zeroshot.safetensors"));
        using var _ = no_grad();
        return (model.EncodeImage(inputs.Read("images")[0]), model.EncodeText(zeroShot.Read("token_ids")));
    }

    /// <summary>max |a − b|.</summary>
    public static double MaxDifference(Tensor a, Tensor b) =>
        (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();

    public void Dispose() => Directory.Delete(Root, recursive: true);

    static string BlockPart(string hf) => hf switch
    {
        "self_attn.out_proj" => "attn.out_proj",
        "layer_norm1" => "ln_1",
        "layer_norm2" => "ln_2",
        "mlp.fc1" => "mlp.c_fc",
        "mlp.fc2" => "mlp.c_proj",
        _ => throw new ArgumentException($"no OpenAI name for block part {hf}"),
    };

    [GeneratedRegex(@"^(?<tower>vision_model|text_model)\.encoder\.layers\.(?<layer>\d+)\.(?<part>.+)\.(?<kind>weight|bias)$")]
    private static partial Regex Block();
}
