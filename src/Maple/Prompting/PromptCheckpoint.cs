using System.Globalization;
using System.Text.Json;
using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// Learned prompts on disk: a safetensors file whose tensors carry the authors' state-dict names and
/// whose metadata makes it self-describing (method, shapes, ctx_init, class names, backbone, training
/// settings). The frozen backbone is referenced by id and config hash, never copied.
/// </summary>
public sealed class PromptCheckpoint : IDisposable
{
    /// <summary>Metadata key naming the method.</summary>
    public const string MethodKey = "method";

    PromptCheckpoint(string path, PromptConfig config, Dictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Config = config;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Where it was read from.</summary>
    public string Path { get; }

    /// <summary>The prompts' shape and init words.</summary>
    public PromptConfig Config { get; }

    /// <summary>The learned tensors (prompt parameters only).</summary>
    public Dictionary<string, Tensor> Tensors { get; }

    /// <summary>The metadata as stored (empty for a tensors-only file).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The class names it was trained on, when recorded.</summary>
    /// <exception cref="InvalidDataException">The recorded names are not a JSON list of strings.</exception>
    public IReadOnlyList<string>? ClassNames
    {
        get
        {
            if (!Metadata.TryGetValue("classnames", out var json))
                return null;
            try
            {
                var names = JsonSerializer.Deserialize<List<string?>>(json);
                if (names is not null && names.All(n => n is not null))
                    return names!;
            }
            catch (JsonException)
            {
                // Reported below, with the file's name.
            }
            throw new InvalidDataException($"{Path}: metadata 'classnames' is not a JSON list of class names; give the class names another way");
        }
    }

    /// <summary>The metadata that describes a learner; add training details to it before saving.</summary>
    public static Dictionary<string, string> Describe(PromptLearner learner, string backbone, IReadOnlyList<string> classNames)
    {
        var description = DescribeShape(learner, backbone, classNames);
        if (learner.Config.Method == PromptMethod.Mmrl)
        {
            foreach (var (key, value) in MmrlKeys(learner.Config))
                description[key] = value;
        }
        return description;
    }

    /// <summary>MMRL's settings beyond the shared ones, as metadata: they change what the prompts compute.</summary>
    internal static IEnumerable<(string Key, string Value)> MmrlKeys(PromptConfig config) =>
    [
        ("rep_dim", config.RepresentationDim.ToString(CultureInfo.InvariantCulture)),
        ("alpha", config.ClassTokenWeight.ToString("R", CultureInfo.InvariantCulture)),
        ("template", config.TextTemplate ?? ""),
    ];

    static Dictionary<string, string> DescribeShape(PromptLearner learner, string backbone, IReadOnlyList<string> classNames) => new()
    {
        ["format"] = "maple-prompts",
        ["maple_version"] = MapleInfo.Version,
        [MethodKey] = PromptMethods.Name(learner.Config.Method),
        ["n_ctx"] = learner.Config.TextTokens.ToString(),
        ["n_ctx_vision"] = learner.Config.VisionTokens.ToString(),
        ["text_depth"] = learner.Config.TextDepth.ToString(),
        ["vision_depth"] = learner.Config.VisionDepth.ToString(),
        ["ctx_init"] = learner.Config.CtxInit,
        ["prompt_prefix"] = learner.PromptPrefix,
        ["classnames"] = JsonSerializer.Serialize(classNames),
        ["backbone"] = backbone,
        ["backbone_config_hash"] = learner.ClipConfig.Hash(),
        ["text_width"] = learner.ClipConfig.Text.Width.ToString(),
        ["vision_width"] = learner.ClipConfig.Vision.Width.ToString(),
    };

    /// <summary>Saves the learner's tensors with <paramref name="metadata"/>, atomically.</summary>
    public static void Save(string path, PromptLearner learner, IReadOnlyDictionary<string, string> metadata) =>
        SafetensorsWriter.Write(path, learner.StateDict(), metadata);

    /// <summary>
    /// Reads a checkpoint. Without metadata, the method, n_ctx and depth are inferred from the tensor
    /// names and shapes and ctx_init is <paramref name="ctxInit"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged, or its metadata or tensors do not describe prompts.</exception>
    public static PromptCheckpoint Read(string path, string ctxInit = "a photo of a")
    {
        InputFile.EnsureRegular(path, "prompt file");
        using var file = SafetensorsFile.Open(path);
        CheckSizes(file);
        var tensors = file.ReadAll();
        var learned = tensors.Where(t => !Training.TrainingCheckpoint.IsTrainingState(t.Key)).ToDictionary(t => t.Key, t => t.Value);
        foreach (var (name, tensor) in tensors.Where(t => !learned.ContainsKey(t.Key)))
            tensor.Dispose();
        try
        {
            var config = file.Metadata.ContainsKey(MethodKey)
                ? FromMetadata(file.Metadata, path)
                : Infer(learned, ctxInit, path);
            return new PromptCheckpoint(path, config, learned, file.Metadata);
        }
        catch
        {
            foreach (var tensor in learned.Values)
                tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A learner of this checkpoint's shape on <paramref name="clip"/>, holding its values. The shapes are checked
    /// against the backbone before the learner is built, so a file declaring huge prompts allocates nothing.
    /// </summary>
    /// <exception cref="InvalidDataException">The prompts were trained on another backbone or do not fit this one.</exception>
    public PromptLearner CreateLearner(ClipModel clip, ClipTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(clip);
        if (Metadata.TryGetValue("backbone_config_hash", out var hash) && hash != clip.Config.Hash())
        {
            var widths = Metadata.TryGetValue("text_width", out var tw) && Metadata.TryGetValue("vision_width", out var vw) ? $" (text width {tw}, vision width {vw})" : "";
            throw new InvalidDataException(
                $"{Path}: these prompts were trained on another backbone{widths}, not this one (text width {clip.Config.Text.Width}, vision width {clip.Config.Vision.Width})");
        }
        PromptLearners.CheckShapes(Config, clip.Config, Tensors.ToDictionary(t => t.Key, t => t.Value.shape), Path);
        var learner = PromptLearners.Restore(Config, clip, tokenizer);
        try
        {
            learner.LoadStateDict(Tensors, Path);
            return learner;
        }
        catch
        {
            learner.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies the prompt parameters in <paramref name="path"/> (a safetensors file under the authors' names) into
    /// <paramref name="learner"/>, checking every name and shape from the file's header before reading any tensor.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged, or its tensors are not exactly the learner's.</exception>
    public static void LoadInto(PromptLearner learner, string path)
    {
        ArgumentNullException.ThrowIfNull(learner);
        InputFile.EnsureRegular(path, "prompt file");
        using var file = SafetensorsFile.Open(path);
        CheckSizes(file);
        PromptLearners.CheckShapes(learner.Config, learner.ClipConfig, file.Entries.ToDictionary(e => e.Key, e => e.Value.Shape), path);
        var values = file.ReadAll();
        try
        {
            learner.LoadStateDict(values, path);
        }
        finally
        {
            foreach (var value in values.Values)
                value.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
            tensor.Dispose();
    }

    static PromptConfig FromMetadata(IReadOnlyDictionary<string, string> m, string path)
    {
        int Int(string key) => m.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw new InvalidDataException($"{path}: metadata '{key}' is missing or not a whole number from 0 (\"{Excerpt(m.GetValueOrDefault(key))}\")");
        PromptMethod method;
        try
        {
            method = PromptMethods.Parse(m[MethodKey]);
        }
        catch (UserInputException ex)
        {
            throw new InvalidDataException($"{path}: metadata 'method': {ex.Message}", ex);
        }
        var config = new PromptConfig(method, Int("n_ctx"), Int("n_ctx_vision"), Int("text_depth"), Int("vision_depth"),
            m.TryGetValue("ctx_init", out var init) ? init : "");
        if (method == PromptMethod.Mmrl)
        {
            var alphaText = m.GetValueOrDefault("alpha");
            if (!double.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out var alpha))
                throw new InvalidDataException($"{path}: metadata 'alpha' is missing or not a number (\"{Excerpt(alphaText)}\")");
            config = config with { RepresentationDim = Int("rep_dim"), ClassTokenWeight = alpha, TextTemplate = m.GetValueOrDefault("template") };
        }
        try
        {
            config.ValidateMethod($"{path}: metadata");
        }
        catch (UserInputException ex)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
        return config;
    }

    // SafetensorsFile.Open has checked every shape against the bytes the file holds; prompt tensors are also
    // small, so any tensor of more than 2^31 elements is refused before one is made.
    static void CheckSizes(SafetensorsFile file)
    {
        foreach (var entry in file.Entries.Values)
        {
            if (entry.ElementCount > int.MaxValue)
                throw new InvalidDataException($"{file.Path}: tensor '{entry.Name}' declares shape {entry.ShapeText}, far larger than any prompt; the file is damaged or not a prompt file");
        }
    }

    // Metadata values are the file's: keep a quoted one short.
    static string Excerpt(string? value) => value is null ? "" : value.Length <= 40 ? value : value[..40] + "...";

    // The token count of a [tokens, width] prompt tensor; anything else is a damaged or foreign file.
    static int Rows(Dictionary<string, Tensor> t, string name, string path)
    {
        var shape = t[name].shape;
        if (shape.Length != 2 || shape[0] < 1 || shape[0] > int.MaxValue)
            throw new InvalidDataException($"{path}: '{name}' has shape [{string.Join(", ", shape)}], expected [tokens, width]");
        return (int)shape[0];
    }

    // Also used by AuthorCheckpointImporter, which checks the shapes against the inferred config itself.
    internal static PromptConfig Infer(Dictionary<string, Tensor> t, string ctxInit, string path)
    {
        int Rows(string name) => PromptCheckpoint.Rows(t, name, path);
        int Count(string prefix, string suffix = "") =>
            t.Keys.Count(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.EndsWith(suffix, StringComparison.Ordinal));

        if (t.ContainsKey("prompt_learner.proj.weight"))
        {
            var n = Rows("prompt_learner.ctx");
            var depth = Count("prompt_learner.compound_prompts_text.") + 1;
            return PromptConfig.Maple(n, depth, ctxInit);
        }
        if (t.ContainsKey("representation_learner.compound_rep_tokens"))
        {
            // The authors' files say nothing of alpha or the template: their defaults (ALPHA 0.7, "a photo of a {}.").
            var tokens = t["representation_learner.compound_rep_tokens"].shape;
            if (tokens.Length != 2 || tokens[0] < 1 || tokens[0] > 1024 || tokens[1] < 1 || tokens[1] > int.MaxValue)
                throw new InvalidDataException($"{path}: 'representation_learner.compound_rep_tokens' has shape [{string.Join(", ", tokens)}], expected [tokens, rep_dim]");
            return PromptConfig.Mmrl((int)tokens[0], Count("representation_learner.compound_rep_tokens_r2vproj.", ".weight"), (int)tokens[1]);
        }
        if (t.ContainsKey("prompt_learner.meta_net.linear1.weight"))
            return PromptConfig.CoCoOp(Rows("prompt_learner.ctx"), ctxInit);

        var textTokens = t.ContainsKey("prompt_learner.ctx") ? Rows("prompt_learner.ctx") : 0;
        var visionTokens = t.ContainsKey("image_encoder.VPT") ? Rows("image_encoder.VPT") : 0;
        var textDepth = textTokens > 0 ? Count("text_encoder.transformer.resblocks.", ".VPT_shallow") + 1 : 0;
        var visionDepth = visionTokens > 0 ? Count("image_encoder.transformer.resblocks.", ".VPT_shallow") + 1 : 0;
        return (textTokens, visionTokens) switch
        {
            (0, 0) => throw new InvalidDataException($"{path}: no prompt tensors found (expected names such as prompt_learner.ctx)"),
            (> 0, 0) when textDepth == 1 => PromptConfig.CoOp(textTokens, ctxInit),
            (> 0, 0) => PromptConfig.DeepLanguage(textTokens, textDepth, ctxInit),
            (0, > 0) => PromptConfig.VptDeep(visionTokens, visionDepth),
            _ => PromptConfig.Ivlp(textTokens, visionTokens, textDepth, visionDepth, ctxInit),
        };
    }
}
