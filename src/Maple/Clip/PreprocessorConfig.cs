using System.Text.Json;
using System.Text.Json.Nodes;
using Maple.Imaging;

namespace Maple.Clip;

/// <summary>Reads Hugging Face's <c>preprocessor_config.json</c> (CLIPImageProcessor).</summary>
public static class PreprocessorConfig
{
    /// <summary>The <c>image_mean</c> and <c>image_std</c> of the file, or null when the file is absent.</summary>
    /// <exception cref="InvalidDataException">The file exists but is malformed.</exception>
    public static ImageNormalization? ReadNormalization(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"{path}: not a JSON object");
            return Normalization(json, "image_mean", "image_std", path);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Writes a <c>preprocessor_config.json</c> (CLIPImageProcessor: bicubic resize of the shorter side,
    /// centre crop, rescale, normalise) for images of <paramref name="imageSize"/> pixels, atomically.
    /// </summary>
    public static void Write(string path, ImageNormalization normalization, int imageSize)
    {
        var json = new JsonObject
        {
            ["image_processor_type"] = "CLIPImageProcessor",
            ["do_resize"] = true,
            ["size"] = new JsonObject { ["shortest_edge"] = imageSize },
            ["resample"] = 3,
            ["do_center_crop"] = true,
            ["crop_size"] = new JsonObject { ["height"] = imageSize, ["width"] = imageSize },
            ["do_rescale"] = true,
            ["rescale_factor"] = 1.0 / 255,
            ["do_normalize"] = true,
            ["image_mean"] = new JsonArray(normalization.Mean.Select(v => (JsonNode)(double)v).ToArray()),
            ["image_std"] = new JsonArray(normalization.Std.Select(v => (JsonNode)(double)v).ToArray()),
            ["do_convert_rgb"] = true,
        };
        AtomicFile.WriteText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The mean and std under <paramref name="meanKey"/> and <paramref name="stdKey"/>, or null when either is absent.</summary>
    /// <exception cref="InvalidDataException">A value is not three numbers, or a std is not positive.</exception>
    internal static ImageNormalization? Normalization(JsonObject json, string meanKey, string stdKey, string path)
    {
        var mean = Triple(json, meanKey, path);
        var std = Triple(json, stdKey, path);
        if (mean is null || std is null)
            return null;
        if (std.Any(s => s <= 0))
            throw new InvalidDataException($"{path}: {stdKey} must be positive");
        return new ImageNormalization(mean, std);
    }

    static float[]? Triple(JsonObject json, string key, string path)
    {
        if (json[key] is not JsonArray array)
            return null;
        if (array.Count != 3 || array.Any(v => v is not JsonValue value || !value.TryGetValue<double>(out _)))
            throw new InvalidDataException($"{path}: '{key}' must have 3 numbers, one per RGB channel");
        return array.Select(v => (float)v!.GetValue<double>()).ToArray();
    }
}
