using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>
/// Builds a <see cref="ClipModel"/> from the checkpoints people have: a Hugging Face folder
/// (<c>config.json</c> + <c>model.safetensors</c>), an OpenAI/open_clip safetensors file, OpenAI's
/// TorchScript <c>.pt</c> archive, or a state dict saved with <c>torch.save</c> (read without running its
/// pickle). Every mismatch is reported with the file and the keys involved.
/// </summary>
public static class ClipWeightLoader
{
    /// <summary>Loads the model at <paramref name="path"/> (a folder or a file).</summary>
    public static ClipModel Load(string path, Precision precision = Precision.Auto)
    {
        var (config, source, configPath) = OpenWithConfigPath(path);
        using (source)
        {
            ClipModel model;
            try
            {
                model = Build(config, source, precision);
            }
            catch (InvalidDataException ex) when (configPath is not null)
            {
                // The weights may be fine and config.json wrong: name both files.
                throw new InvalidDataException($"{ex.Message} (architecture read from {configPath})", ex);
            }
            var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
            model.Normalization = PreprocessorConfig.ReadNormalization(Path.Combine(folder, "preprocessor_config.json")) ?? model.Normalization;
            return model;
        }
    }

    /// <summary>Opens the weights at <paramref name="path"/> and determines the architecture.</summary>
    public static (ClipConfig Config, ITensorSource Source) Open(string path)
    {
        var (config, source, _) = OpenWithConfigPath(path);
        return (config, source);
    }

    // The config path is null when the architecture was inferred from the weights' shapes.
    static (ClipConfig Config, ITensorSource Source, string? ConfigPath) OpenWithConfigPath(string path)
    {
        string weightsPath;
        string? configPath = null;
        if (Directory.Exists(path))
        {
            weightsPath = Path.Combine(path, "model.safetensors");
            if (!File.Exists(weightsPath))
            {
                var hint = File.Exists(Path.Combine(path, "pytorch_model.bin"))
                    ? " (only pytorch_model.bin is present: convert it to safetensors, or pass the file itself)"
                    : "";
                throw new FileNotFoundException($"{path}: no model.safetensors in this folder{hint}", weightsPath);
            }
            configPath = Path.Combine(path, "config.json");
        }
        else if (File.Exists(path))
        {
            weightsPath = path;
            var sibling = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "config.json");
            configPath = File.Exists(sibling) ? sibling : null;
        }
        else
        {
            throw new FileNotFoundException($"{path}: no such model folder or checkpoint file", path);
        }

        var source = OpenSource(weightsPath);
        try
        {
            var layout = CheckpointLayout.Detect(source.Shapes, weightsPath);
            if (layout == CheckpointLayout.OpenAI)
                return (OpenAILayout.InferConfig(source.Shapes, weightsPath), source, null);
            if (configPath is not null && File.Exists(configPath))
                return (ClipConfig.FromHuggingFaceFile(configPath), source, configPath);
            throw new FileNotFoundException($"{weightsPath}: Hugging Face weights need the config.json beside them ({configPath ?? "none found"})");
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Creates the model for <paramref name="config"/> and fills it from <paramref name="source"/>.</summary>
    public static ClipModel Build(ClipConfig config, ITensorSource source, Precision precision)
    {
        var layout = CheckpointLayout.Detect(source.Shapes, source.Path);
        var model = new ClipModel(config, precision);
        try
        {
            Fill(model, layout, source);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads only the architecture of the model at <paramref name="path"/> (a folder or a file): from
    /// <c>config.json</c>, or inferred from an OpenAI checkpoint's shapes.
    /// </summary>
    public static ClipConfig ReadConfig(string path)
    {
        var (config, source) = Open(path);
        source.Dispose();
        return config;
    }

    static ITensorSource OpenSource(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".safetensors" => new SafetensorsSource(path),
            ".pt" or ".pth" or ".bin" => new DictionarySource(path, TorchWeightsFile.ReadStateDict(path)),
            _ => throw new InvalidDataException(
                $"{path}: unknown checkpoint format '{extension}' (expected .safetensors, OpenAI's .pt TorchScript archive, or a torch.save state dict .pt/.pth/.bin)"),
        };
    }

    static void Fill(ClipModel model, CheckpointLayout layout, ITensorSource source)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var recipes = layout.Recipes(model.Config).ToList();

        var used = recipes.SelectMany(r => r.Sources).ToHashSet();
        var missing = used.Where(k => !source.Shapes.ContainsKey(k)).ToList();
        var unexpected = source.Shapes.Keys.Where(k => !used.Contains(k) && !layout.IsIgnorable(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0)
                parts.Add($"missing keys ({missing.Count}): {List(missing)}");
            if (unexpected.Count > 0)
                parts.Add($"unexpected keys ({unexpected.Count}): {List(unexpected)}");
            throw new InvalidDataException($"{source.Path}: {layout.Name} checkpoint does not fit the configured architecture: {string.Join("; ", parts)}");
        }

        foreach (var recipe in recipes)
        {
            var target = parameters[recipe.Target];
            var shape = recipe.ResultShape(source.Shapes);
            if (!shape.SequenceEqual(target.shape))
                throw new InvalidDataException(
                    $"{source.Path}: shape mismatch for '{string.Join("' + '", recipe.Sources)}': the config expects {Format(target.shape)}, the weights have {Format(shape)}");
        }

        using (no_grad())
        {
            foreach (var recipe in recipes)
            {
                using var scope = NewDisposeScope();
                var value = recipe.Build(source);
                var target = parameters[recipe.Target];
                target.copy_(value.to(target.dtype));
            }
        }
        Debug.Assert(parameters.Count == recipes.Count, "every parameter has a recipe");
    }

    static string List(List<string> keys) =>
        string.Join(", ", keys.Take(10)) + (keys.Count > 10 ? $", ... ({keys.Count - 10} more)" : "");

    static string Format(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
