using System.Globalization;
using System.Text.Json;
using Maple.Clip;
using Maple.Clip.Safetensors;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// The learned prompts found in an authors' checkpoint by <see cref="AuthorCheckpointImporter"/>: fp32
/// tensors under the authors' names, the method and shapes inferred from them, and what was left out.
/// </summary>
public sealed class ImportedPrompts : IDisposable
{
    readonly OrderedDictionary<string, Tensor> _tensors;

    internal ImportedPrompts(string sourcePath, PromptConfig config, OrderedDictionary<string, Tensor> tensors,
        IReadOnlyList<AuthorCheckpointEntry> entries, long? epoch, PromptWidths widths)
    {
        SourcePath = sourcePath;
        Config = config;
        _tensors = tensors;
        Entries = entries;
        Epoch = epoch;
        Widths = widths;
    }

    /// <summary>The checkpoint, as a full path.</summary>
    public string SourcePath { get; }

    /// <summary>The method, token counts, depths and init words.</summary>
    public PromptConfig Config { get; }

    /// <summary>The prompt tensors (fp32, the authors' names, in the checkpoint's order).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>Every tensor of the checkpoint's state dict, imported or dropped, in its order.</summary>
    public IReadOnlyList<AuthorCheckpointEntry> Entries { get; }

    /// <summary>The checkpoint's <c>epoch</c> entry (Dassl saves the number of epochs done), when present.</summary>
    public long? Epoch { get; }

    /// <summary>The backbone widths the prompts imply.</summary>
    public PromptWidths Widths { get; }

    /// <summary>The words before the class name in every text prompt, as the learner will choose them.</summary>
    public string PromptPrefix
    {
        get
        {
            if (Config.TextTokens == 0)
                return PromptConfig.FixedTemplate.Replace(" {}.", "");
            if (Config.TextTemplate is { } template)
                return template[..template.IndexOf(PromptTemplates.Placeholder, StringComparison.Ordinal)].Trim();
            var init = Config.CtxInit.Replace('_', ' ').Trim();
            var useInit = init.Length > 0 && (Config.Method is PromptMethod.CoOp or PromptMethod.CoCoOp
                ? PromptLearners.WordCount(init) == Config.TextTokens
                : Config.TextTokens <= 4);
            return useInit ? init : string.Join(" ", Enumerable.Repeat("X", Config.TextTokens));
        }
    }

    /// <summary>
    /// Checks that the prompts fit <paramref name="backbone"/>: the widths they imply and their depths.
    /// <paramref name="backboneId"/> names it in the message.
    /// </summary>
    /// <exception cref="InvalidDataException">They do not fit; the message names the prompts' and the backbone's values.</exception>
    public void CheckBackbone(ClipConfig backbone, string? backboneId = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var name = backboneId ?? "the backbone";
        var problems = new List<string>();
        void Compare(string what, PromptWidth? prompts, int model)
        {
            if (prompts is not null && prompts.Value != model)
                problems.Add($"the prompts' {what} is {prompts}, {name}'s is {model}");
        }

        Compare("text width", Widths.Text, backbone.Text.Width);
        Compare("vision width", Widths.Vision, backbone.Vision.Width);
        Compare("embedding width", Widths.Embed, backbone.EmbedDim);
        if (problems.Count > 0)
            throw new InvalidDataException($"{SourcePath}: the prompts do not fit {name}: {string.Join("; ", problems)}");
        try
        {
            Config.Validate(backbone, $"{SourcePath}: the prompts do not fit {name}");
        }
        catch (UserInputException ex)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
    }

    /// <summary>
    /// The metadata of the imported file: what <see cref="PromptCheckpoint.Read"/> needs to rebuild the
    /// learner, where the prompts came from, and <paramref name="options"/>' class names and backbone.
    /// </summary>
    public Dictionary<string, string> Metadata(AuthorImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "maple-prompts",
            ["maple_version"] = MapleInfo.Version,
            [PromptCheckpoint.MethodKey] = PromptMethods.Name(Config.Method),
            ["n_ctx"] = Number(Config.TextTokens),
            ["n_ctx_vision"] = Number(Config.VisionTokens),
            ["text_depth"] = Number(Config.TextDepth),
            ["vision_depth"] = Number(Config.VisionDepth),
            ["ctx_init"] = Config.CtxInit,
            ["prompt_prefix"] = PromptPrefix,
            ["imported_from"] = AuthorCheckpointImporter.ImportedFrom,
            ["source"] = SourcePath,
        };
        if (Config.Method == PromptMethod.Mmrl)
        {
            foreach (var (key, value) in PromptCheckpoint.MmrlKeys(Config))
                metadata[key] = value;
        }
        if (Epoch is { } epoch)
            metadata["epoch"] = Number(epoch);
        if (options.ClassNames is { } classNames)
            metadata["classnames"] = JsonSerializer.Serialize(classNames);
        if (options.Backbone is { } backbone)
        {
            metadata["backbone"] = options.BackboneId ?? "";
            metadata["backbone_config_hash"] = backbone.Hash();
            metadata["text_width"] = Number(backbone.Text.Width);
            metadata["vision_width"] = Number(backbone.Vision.Width);
        }
        else
        {
            if (Widths.Text is { } text)
                metadata["text_width"] = Number(text.Value);
            if (Widths.Vision is { } vision)
                metadata["vision_width"] = Number(vision.Value);
        }
        return metadata;
    }

    /// <summary>
    /// Writes the prompts and their <see cref="Metadata"/> to <paramref name="path"/> atomically, after
    /// checking them against <see cref="AuthorImportOptions.Backbone"/> when one is given.
    /// </summary>
    /// <exception cref="InvalidDataException">The prompts do not fit the backbone; nothing is written.</exception>
    public void Save(string path, AuthorImportOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Backbone is { } backbone)
            CheckBackbone(backbone, options.BackboneId);
        SafetensorsWriter.Write(path, _tensors, Metadata(options));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in _tensors.Values)
            tensor.Dispose();
    }

    static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
