using System.Text.Json;
using Maple.Clip.Safetensors;
using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>
/// Saves a <see cref="ClipModel"/> as a Hugging Face <c>CLIPModel</c> folder, which
/// <see cref="ClipWeightLoader"/>, <c>transformers</c> and <c>open_clip</c> all read.
/// </summary>
public static class ClipWeightWriter
{
    static readonly string[] TokenizerFiles = ["vocab.json", "merges.txt"];

    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c> (F32, Hugging Face key names) into
    /// <paramref name="folder"/>, and copies <c>vocab.json</c> and <c>merges.txt</c> from
    /// <paramref name="tokenizerSourceFolder"/> when given. Each file is written atomically, so a reader
    /// sees either the old file or the complete new one.
    /// </summary>
    /// <exception cref="FileNotFoundException">A tokenizer file is missing from <paramref name="tokenizerSourceFolder"/>.</exception>
    public static void SaveHuggingFace(ClipModel model, string folder, string? tokenizerSourceFolder = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(folder);
        // Checked before anything is written, so a bad tokenizer folder leaves no half-saved model.
        var tokenizerSources = tokenizerSourceFolder is null
            ? []
            : TokenizerFiles.Select(name => Path.Combine(tokenizerSourceFolder, name)).ToArray();
        foreach (var source in tokenizerSources.Where(s => !File.Exists(s)))
            throw new FileNotFoundException($"{source}: tokenizer file not found", source);

        Directory.CreateDirectory(folder);
        WriteWeights(model, Path.Combine(folder, "model.safetensors"));
        var config = model.Config.ToHuggingFace();
        config["torch_dtype"] = "float32";
        AtomicFile.WriteText(Path.Combine(folder, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var source in tokenizerSources)
        {
            AtomicFile.Write(Path.Combine(folder, Path.GetFileName(source)), stream =>
            {
                using var input = File.OpenRead(source);
                input.CopyTo(stream);
            });
        }
    }

    static void WriteWeights(ClipModel model, string path)
    {
        using var scope = NewDisposeScope();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var tensors = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach (var recipe in CheckpointLayout.HuggingFace.Recipes(model.Config))
            {
                // A bf16 backbone is widened back: the format promises F32, and bf16 → fp32 is exact.
                foreach (var (key, value) in recipe.Split(parameters[recipe.Target].to(ScalarType.Float32)))
                    tensors.Add(key, value);
            }
        }
        // transformers refuses safetensors files whose metadata does not say they hold PyTorch tensors.
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
