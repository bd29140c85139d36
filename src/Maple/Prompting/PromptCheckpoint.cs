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
    public IReadOnlyList<string>? ClassNames =>
        Metadata.TryGetValue("classnames", out var json) ? JsonSerializer.Deserialize<List<string>>(json) : null;

    /// <summary>The metadata that describes a learner; add training details to it before saving.</summary>
    public static Dictionary<string, string> Describe(PromptLearner learner, string backbone, IReadOnlyList<string> classNames) => new()
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
    public static PromptCheckpoint Read(string path, string ctxInit = "a photo of a")
    {
        using var file = SafetensorsFile.Open(path);
        var tensors = file.ReadAll();
        var learned = tensors.Where(t => !t.Key.StartsWith("optimizer.", StringComparison.Ordinal)).ToDictionary(t => t.Key, t => t.Value);
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

    /// <summary>A learner of this checkpoint's shape on <paramref name="clip"/>, holding its values.</summary>
    public PromptLearner CreateLearner(ClipModel clip, ClipTokenizer tokenizer)
    {
        if (Metadata.TryGetValue("backbone_config_hash", out var hash) && hash != clip.Config.Hash())
        {
            var widths = Metadata.TryGetValue("text_width", out var tw) && Metadata.TryGetValue("vision_width", out var vw) ? $" (text width {tw}, vision width {vw})" : "";
            throw new InvalidDataException(
                $"{Path}: these prompts were trained on another backbone{widths}, not this one (text width {clip.Config.Text.Width}, vision width {clip.Config.Vision.Width})");
        }
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

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
            tensor.Dispose();
    }

    static PromptConfig FromMetadata(IReadOnlyDictionary<string, string> m, string path)
    {
        int Int(string key) => m.TryGetValue(key, out var v) && int.TryParse(v, out var i)
            ? i
            : throw new InvalidDataException($"{path}: metadata '{key}' is missing or not a number");
        var config = new PromptConfig(
            PromptMethods.Parse(m[MethodKey]), Int("n_ctx"), Int("n_ctx_vision"), Int("text_depth"), Int("vision_depth"),
            m.TryGetValue("ctx_init", out var init) ? init : "");
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

    // Also used by AuthorCheckpointImporter, which checks the shapes against the inferred config itself.
    internal static PromptConfig Infer(Dictionary<string, Tensor> t, string ctxInit, string path)
    {
        int Rows(string name) => (int)t[name].shape[0];
        int Count(string prefix, string suffix = "") =>
            t.Keys.Count(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.EndsWith(suffix, StringComparison.Ordinal));

        if (t.ContainsKey("prompt_learner.proj.weight"))
        {
            var n = Rows("prompt_learner.ctx");
            var depth = Count("prompt_learner.compound_prompts_text.") + 1;
            return PromptConfig.Maple(n, depth, ctxInit);
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
