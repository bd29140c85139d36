using System.Globalization;
using System.Text.Json;
using Maple.Clip.Safetensors;
using static TorchSharp.torch;

namespace Maple.Evaluation;

/// <summary>
/// The features <c>maple embed</c> writes: a safetensors file with <c>image_features</c> F32 [N, E] and/or
/// <c>text_features</c> F32 [T, E], and in <c>__metadata__</c> the model, whether rows are normalised, and the
/// image paths and texts of the rows as JSON arrays of strings (and the learned prompts, when the features were computed under some).
/// </summary>
public static class EmbeddingFile
{
    /// <summary>The tensor of image features.</summary>
    public const string ImageFeaturesKey = "image_features";

    /// <summary>The tensor of text features.</summary>
    public const string TextFeaturesKey = "text_features";

    /// <summary>The metadata entry with the image paths (a JSON array, row order).</summary>
    public const string ImagePathsKey = "image_paths";

    /// <summary>The metadata entry with the texts (a JSON array, row order).</summary>
    public const string TextsKey = "texts";

    /// <summary>Writes the features atomically; either kind may be left out, not both.</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="model">The model id or path that produced the features.</param>
    /// <param name="normalized">Whether the rows are L2-normalised.</param>
    /// <param name="imagePaths">The image of each row of <paramref name="imageFeatures"/>.</param>
    /// <param name="imageFeatures">[images, embed] features, or null.</param>
    /// <param name="texts">The text of each row of <paramref name="textFeatures"/>.</param>
    /// <param name="textFeatures">[texts, embed] features, or null.</param>
    /// <param name="prompts">The learned prompts the features were computed under (recorded as <c>prompts</c>), or null for plain CLIP.</param>
    /// <exception cref="ArgumentException">Nothing to write, or the rows and their labels do not match.</exception>
    public static void Write(string path, string model, bool normalized, IReadOnlyList<string>? imagePaths, Tensor? imageFeatures,
        IReadOnlyList<string>? texts, Tensor? textFeatures, string? prompts = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        if (imageFeatures is null && textFeatures is null)
            throw new ArgumentException("no image or text features to write");
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var metadata = new Dictionary<string, string>
        {
            ["model"] = model,
            ["normalized"] = normalized ? "true" : "false",
        };
        if (prompts is not null)
            metadata["prompts"] = prompts;
        Add(ImageFeaturesKey, imageFeatures, ImagePathsKey, imagePaths, "image paths");
        Add(TextFeaturesKey, textFeatures, TextsKey, texts, "texts");
        try
        {
            SafetensorsWriter.Write(path, tensors, metadata);
        }
        finally
        {
            foreach (var (_, tensor) in tensors)
                tensor.Dispose();
        }

        void Add(string key, Tensor? features, string labelsKey, IReadOnlyList<string>? labels, string what)
        {
            if (features is null)
                return;
            if (features.dim() != 2)
                throw new ArgumentException($"{key} must be [rows, embed], not {SafetensorsEntry.Format(features.shape)}");
            if (labels is null || labels.Count != features.shape[0])
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{key} has {features.shape[0]} rows but {labels?.Count ?? 0} {what}"));
            tensors.Add(new(key, features.to(ScalarType.Float32)));
            metadata[labelsKey] = JsonSerializer.Serialize(labels);
            metadata["embed_dim"] = features.shape[1].ToString(CultureInfo.InvariantCulture);
        }
    }
}
