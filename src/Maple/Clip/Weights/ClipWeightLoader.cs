using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>
/// Builds a <see cref="ClipModel"/> from the checkpoints people have: a Hugging Face folder
/// (<c>config.json</c> + <c>model.safetensors</c>), open_clip weights (safetensors or a <c>torch.save</c> state
/// dict) with their <c>open_clip_config.json</c>, or OpenAI's TorchScript <c>.pt</c> archive (pickles are read
/// without running them). Every mismatch is reported with the file and the keys involved.
/// </summary>
public static class ClipWeightLoader
{
    /// <summary>Loads the model at <paramref name="path"/> (a folder or a file).</summary>
    /// <param name="path">A Hugging Face folder, a folder of open_clip files, or a weights file.</param>
    /// <param name="precision">The precision of the matrix work.</param>
    /// <param name="config">
    /// A config file (Hugging Face <c>config.json</c> or open_clip) that describes the weights, in place of the
    /// one found beside them; needed for OpenAI-layout weights that have no <c>open_clip_config.json</c> beside them.
    /// </param>
    /// <param name="device">Where the model computes (the CPU when null).</param>
    public static ClipModel Load(string path, Precision precision = Precision.Auto, string? config = null, Device? device = null)
    {
        var (architecture, source, configPath) = OpenWithConfigPath(path, config);
        using (source)
        {
            ClipModel model;
            try
            {
                model = Build(architecture, source, precision, device);
            }
            catch (InvalidDataException ex) when (configPath is not null)
            {
                // The weights may be fine and the config wrong: name both files.
                throw new InvalidDataException($"{ex.Message} (architecture read from {configPath})", ex);
            }
            var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
            model.Normalization = PreprocessorConfig.ReadNormalization(Path.Combine(folder, "preprocessor_config.json"))
                ?? (configPath is not null && OpenClipConfig.IsOpenClip(ClipConfig.ReadJsonObject(configPath)) ? OpenClipConfig.ReadNormalization(configPath) : null)
                ?? model.Normalization;
            return model;
        }
    }

    /// <summary>Opens the weights at <paramref name="path"/> and determines the architecture (see <see cref="Load"/>).</summary>
    public static (ClipConfig Config, ITensorSource Source) Open(string path, string? config = null)
    {
        var (architecture, source, _) = OpenWithConfigPath(path, config);
        return (architecture, source);
    }

    // The config path is null when the architecture follows from the weights alone (OpenAI's archives).
    static (ClipConfig Config, ITensorSource Source, string? ConfigPath) OpenWithConfigPath(string path, string? explicitConfig)
    {
        if (explicitConfig is not null && !File.Exists(explicitConfig))
            throw new FileNotFoundException($"{explicitConfig}: config file not found", explicitConfig);
        string weightsPath, folder;
        if (Directory.Exists(path))
        {
            folder = path;
            weightsPath = FolderWeights(path);
        }
        else if (File.Exists(path))
        {
            weightsPath = path;
            folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
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
            {
                var openClip = Path.Combine(folder, OpenClipConfig.FileName);
                var configPath = explicitConfig ?? (File.Exists(openClip) ? openClip : null);
                return (OpenAIArchitecture(source, weightsPath, configPath), source, configPath);
            }
            var huggingFace = explicitConfig ?? Path.Combine(folder, "config.json");
            if (File.Exists(huggingFace))
                return (ClipConfig.FromFile(huggingFace), source, huggingFace);
            throw new FileNotFoundException($"{weightsPath}: Hugging Face weights need the config.json beside them ({huggingFace} not found)");
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    // A Hugging Face folder's model.safetensors, else the weights open_clip saves for the hub.
    static string FolderWeights(string folder)
    {
        foreach (var name in new[] { "model.safetensors", "open_clip_model.safetensors", "open_clip_pytorch_model.bin" })
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
                return candidate;
        }
        var hint = File.Exists(Path.Combine(folder, "pytorch_model.bin"))
            ? " (only pytorch_model.bin is present: convert it to safetensors, or pass the file itself)"
            : "";
        throw new FileNotFoundException(
            $"{folder}: no model.safetensors (or open_clip_model.safetensors / open_clip_pytorch_model.bin) in this folder{hint}",
            Path.Combine(folder, "model.safetensors"));
    }

    /// <summary>
    /// The architecture of OpenAI-layout weights. Their shapes fix every width, depth and size, but not how
    /// each width splits into attention heads nor the MLP activation: those come from a config, which must then
    /// agree with the shapes, or, for OpenAI's own archives, from OpenAI's convention (heads 64 wide,
    /// QuickGELU). Any other file is refused rather than guessed.
    /// </summary>
    static ClipConfig OpenAIArchitecture(ITensorSource source, string weightsPath, string? configPath)
    {
        OpenAILayout.RejectResNet(source.Shapes, weightsPath);
        if (configPath is not null)
        {
            var declared = ClipConfig.FromFile(configPath);
            var derived = OpenAILayout.InferConfig(source.Shapes, weightsPath, declared);
            var conflicts = OpenAILayout.Contradictions(declared, derived).ToList();
            if (conflicts.Count > 0)
                throw new InvalidDataException($"{configPath} does not describe {weightsPath}: {string.Join("; ", conflicts)}");
            return declared;
        }
        if (OpenAILayout.IsOpenAIArchive(source))
            return OpenAILayout.InferOpenAIArchiveConfig(source, weightsPath);
        throw new ArchitectureUnknownException(weightsPath,
            $"{weightsPath}: its attention heads and MLP activation are not in the file (open_clip and other OpenAI-layout weights carry no config, "
            + $"and it is not one of OpenAI's own archives): put the model's {OpenClipConfig.FileName} beside it, or give its config file explicitly");
    }

    /// <summary>Creates the model for <paramref name="config"/> on <paramref name="device"/> (the CPU when null) and fills it from <paramref name="source"/>.</summary>
    public static ClipModel Build(ClipConfig config, ITensorSource source, Precision precision, Device? device = null)
    {
        var layout = CheckpointLayout.Detect(source.Shapes, source.Path);
        var model = new ClipModel(config, precision, device);
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
    /// its config, or from an OpenAI archive's shapes (see <see cref="Load"/>).
    /// </summary>
    public static ClipConfig ReadConfig(string path, string? config = null)
    {
        var (architecture, source) = Open(path, config);
        source.Dispose();
        return architecture;
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
                recipe.BuildInto(source, parameters[recipe.Target]);
            }
        }
        Debug.Assert(parameters.Count == recipes.Count, "every parameter has a recipe");
    }

    static string List(List<string> keys) =>
        string.Join(", ", keys.Take(10)) + (keys.Count > 10 ? $", ... ({keys.Count - 10} more)" : "");

    static string Format(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
