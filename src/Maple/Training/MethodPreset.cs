using Maple.Clip;
using Maple.Prompting;

namespace Maple.Training;

/// <summary>A method's prompts and optimisation recipe, equal to the authors' configs.</summary>
/// <param name="Name">The preset's name on the command line.</param>
/// <param name="Prompts">Prompt shape and init.</param>
/// <param name="Options">Batch size, learning rate, epochs and the shared SGD/cosine settings.</param>
public sealed record MethodPreset(string Name, PromptConfig Prompts, TrainingOptions Options)
{
    /// <summary>Every preset, by name.</summary>
    public static IReadOnlyDictionary<string, MethodPreset> All { get; } = new Dictionary<string, MethodPreset>(StringComparer.OrdinalIgnoreCase)
    {
        ["maple"] = new("maple", PromptConfig.Maple(), Recipe(4, 0.0035, 5)),
        ["maple-transfer"] = new("maple-transfer", PromptConfig.Maple(depth: 3), Recipe(4, 0.0026, 2)),
        ["ivlp"] = new("ivlp", PromptConfig.Ivlp(), Recipe(4, 0.0035, 5)),
        ["deep-language"] = new("deep-language", PromptConfig.DeepLanguage(), Recipe(4, 0.0025, 5)),
        ["vpt-deep"] = new("vpt-deep", PromptConfig.VptDeep(), Recipe(4, 0.0025, 5)),
        ["cocoop"] = new("cocoop", PromptConfig.CoCoOp(), Recipe(1, 0.002, 10)),
        ["coop"] = new("coop", PromptConfig.CoOp(), Recipe(32, 0.002, 200)),
        ["zeroshot"] = new("zeroshot", PromptConfig.ZeroShot(), Recipe(4, 0.0035, 1)),
        // MMRL's configs/trainers/MMRL/*.yaml: vit_b16 (base-to-novel), vit_b16_imagenet (ImageNet), vit_b16_few_shot,
        // vit_b16_cross_datasets; Get with a benchmark adds trainers/config.py's per-dataset REG_WEIGHT and REP_DIM.
        ["mmrl"] = new("mmrl", PromptConfig.Mmrl(), MmrlRecipe(4, 10, 1.0)),
        ["mmrl-imagenet"] = new("mmrl-imagenet", PromptConfig.Mmrl(), MmrlRecipe(32, 5, 1.0)),
        ["mmrl-few-shot"] = new("mmrl-few-shot", PromptConfig.Mmrl(), MmrlRecipe(32, 50, 0.5)),
        ["mmrl-transfer"] = new("mmrl-transfer", PromptConfig.Mmrl(), MmrlRecipe(32, 1, 0.2) with { WarmupEpochs = 0 }),
        ["promptsrc"] = new("promptsrc", PromptConfig.PromptSrc(), PromptSrcRecipe(20, new(15, 1))),
        ["promptsrc-transfer"] = new("promptsrc-transfer", PromptConfig.PromptSrc(depth: 3), PromptSrcRecipe(20, new(6, 10))),
        ["promptsrc-few-shot"] = new("promptsrc-few-shot", PromptConfig.PromptSrc(), PromptSrcRecipe(50, new(30, 30))),
    };

    /// <summary>
    /// MMRL's per-dataset settings (trainers/config.py, applied after the YAML in every task): REG_WEIGHT, and
    /// REP_DIM 2048 for EuroSAT. Datasets it does not list keep the YAML's.
    /// </summary>
    static readonly Dictionary<string, (double RegWeight, int? RepDim)> MmrlPerDataset = new(StringComparer.Ordinal)
    {
        ["StanfordCars"] = (7.0, null),
        ["FGVCAircraft"] = (6.0, null),
        ["SUN397"] = (6.0, null),
        ["DescribableTextures"] = (6.0, null),
        ["Food101"] = (5.0, null),
        ["OxfordFlowers"] = (4.0, null),
        ["UCF101"] = (3.0, null),
        ["ImageNet"] = (0.5, null),
        ["Caltech101"] = (0.5, null),
        ["OxfordPets"] = (0.2, null),
        ["EuroSAT"] = (0.01, 2048),
    };

    /// <summary>
    /// Where a protocol trains a method with another of its presets, as the authors' scripts choose the config:
    /// (method, protocol, dataset it applies to or null for every dataset, preset). A row for one dataset wins over a
    /// row for every dataset; a method without a row trains with its own preset in every protocol.
    /// </summary>
    static readonly (string Method, TrainingProtocol Protocol, string? Dataset, string Preset)[] ProtocolVariants =
    [
        // muzairkhattak/multimodal-prompt-learning scripts/maple/xd_train_maple.sh: vit_b16_c2_ep5_batch4_2ctx_cross_datasets.
        ("maple", TrainingProtocol.CrossDataset, null, "maple-transfer"),
        // muzairkhattak/PromptSRC scripts/promptsrc/reproduce_xd.sh (vit_b16_c2_ep20_batch4_4+4ctx_cross_datasets) and
        // few_shot.sh (vit_b16_c2_ep50_batch4_4+4ctx_few_shot).
        ("promptsrc", TrainingProtocol.CrossDataset, null, "promptsrc-transfer"),
        ("promptsrc", TrainingProtocol.FewShot, null, "promptsrc-few-shot"),
        // yunncheng/MMRL scripts/mmrl/base2new_train.sh and few_shot.sh (vit_b16_imagenet on ImageNet, else vit_b16 or
        // vit_b16_few_shot) and cross_datasets_train.sh (vit_b16_cross_datasets).
        ("mmrl", TrainingProtocol.BaseToNovel, "ImageNet", "mmrl-imagenet"),
        ("mmrl", TrainingProtocol.FewShot, "ImageNet", "mmrl-imagenet"),
        ("mmrl", TrainingProtocol.FewShot, null, "mmrl-few-shot"),
        ("mmrl", TrainingProtocol.CrossDataset, null, "mmrl-transfer"),
    ];

    /// <summary>
    /// The name of the preset <paramref name="protocol"/> trains <paramref name="name"/> with on <paramref name="dataset"/>
    /// (a benchmark's name; null or other data take the row for every dataset): e.g. <c>promptsrc</c> in few-shot is
    /// <c>promptsrc-few-shot</c>, <c>mmrl</c> on ImageNet is <c>mmrl-imagenet</c>. A preset with no variant for the
    /// protocol, including a variant named directly, is its own.
    /// </summary>
    /// <exception cref="UserInputException">An unknown preset.</exception>
    public static string Variant(string name, TrainingProtocol protocol, string? dataset = null)
    {
        var method = Lookup(name).Name;
        var benchmark = BenchmarkName(dataset);
        var rows = ProtocolVariants.Where(v => v.Method == method && v.Protocol == protocol).ToList();
        var row = rows.Find(v => v.Dataset is not null && v.Dataset == benchmark);
        if (row.Preset is null)
            row = rows.Find(v => v.Dataset is null);
        return row.Preset ?? method;
    }

    /// <summary>
    /// The datasets for which PromptSRC's few-shot config (<c>vit_b16_c2_ep50_batch4_4+4ctx_few_shot.yaml</c>) says to use
    /// GPA μ 45, σ 5 instead of μ 30, σ 30: StanfordCars, Flowers102, FGVCAircraft, DTD and EuroSAT.
    /// </summary>
    static readonly HashSet<string> PromptSrcFewShotLateAggregation = new(StringComparer.Ordinal)
    {
        "StanfordCars", "OxfordFlowers", "FGVCAircraft", "DescribableTextures", "EuroSAT",
    };

    /// <summary>
    /// The preset <paramref name="name"/> as its authors run it: the one place that says so. In <paramref name="protocol"/>
    /// it is the protocol's variant (<see cref="Variant"/>); trained on the benchmark <paramref name="dataset"/> (a
    /// canonical or accepted name; other data bring nothing) it takes that dataset's settings: for MMRL the dataset's
    /// template (CUSTOM_TEMPLATES) and, except for <c>mmrl-transfer</c> (whose scripts pin REG_WEIGHT 0.2 and REP_DIM 512
    /// on the command line), its REG_WEIGHT and REP_DIM (trainers/config.py); for <c>promptsrc-few-shot</c> the GPA its
    /// config names for the dataset. With <paramref name="shots"/>, CoOp's epochs follow its configs for that many shots.
    /// </summary>
    /// <exception cref="UserInputException">An unknown preset.</exception>
    public static MethodPreset Get(string name, int? shots = null, string? dataset = null, TrainingProtocol? protocol = null)
    {
        var preset = Lookup(name);
        var benchmark = BenchmarkName(dataset);
        if (protocol is { } p)
            preset = All[Variant(preset.Name, p, benchmark)];
        if (preset.Name == "coop" && shots is { } k)
            preset = preset with { Options = preset.Options with { Epochs = k <= 2 ? 50 : k <= 8 ? 100 : 200 } };
        return benchmark is null ? preset : preset.OnBenchmark(benchmark);
    }

    static MethodPreset Lookup(string name) => All.TryGetValue(name, out var preset)
        ? preset
        : throw new UserInputException($"unknown method '{name}': expected one of {string.Join(", ", All.Keys)}");

    static string? BenchmarkName(string? dataset) =>
        dataset is not null && Data.BenchmarkDatasets.IsKnown(dataset) ? Data.BenchmarkDatasets.Resolve(dataset).Name : null;

    MethodPreset OnBenchmark(string benchmark)
    {
        if (Name == "promptsrc-few-shot" && PromptSrcFewShotLateAggregation.Contains(benchmark))
            return this with { Options = Options with { PromptAggregation = new(45, 5) } };
        if (Prompts.Method != PromptMethod.Mmrl)
            return this;
        var prompts = Prompts with { TextTemplate = PromptTemplates.ForBenchmark(benchmark) };
        var options = Options;
        if (Name != "mmrl-transfer" && MmrlPerDataset.TryGetValue(benchmark, out var settings))
        {
            options = options with { MmrlConsistencyWeight = settings.RegWeight };
            if (settings.RepDim is { } dim)
                prompts = prompts with { RepresentationDim = dim };
        }
        return this with { Prompts = prompts, Options = options };
    }

    /// <summary>
    /// This preset with some settings replaced: the one place where a method is built from a user's settings
    /// (training and the benchmark both come here). Null keeps the preset's value. <paramref name="nCtx"/>
    /// replaces the number of learned text tokens (and MaPLe's coupled vision tokens); <paramref name="visionTokens"/>
    /// the number of vision tokens of IVLP and VPT-deep; <paramref name="depth"/> the prompt depth of the deep
    /// presets (maple, maple-transfer, ivlp, deep-language, vpt-deep), e.g. to fit a backbone with fewer
    /// layers than the paper's ViT-B/16; <paramref name="ctxInit"/> the words that initialise the text
    /// context; <paramref name="epochs"/> the epochs. A setting the method does not have is refused, never
    /// ignored: CoOp and CoCoOp prompt the text input only (no depth, no vision tokens) with one context
    /// token per init word, VPT-deep and zero-shot CLIP learn no text, deep language prompting no vision.
    /// </summary>
    /// <exception cref="UserInputException">A setting the method does not have or allow, named.</exception>
    public MethodPreset Adapt(int? nCtx = null, int? depth = null, int? epochs = null, int? visionTokens = null, string? ctxInit = null)
    {
        var prompts = Prompts;
        var method = PromptMethods.Name(prompts.Method);
        if (nCtx is { } n)
        {
            Require(prompts.TextTokens > 0, $"{method} learns no text tokens, so their number cannot be set");
            Require(n >= 1, $"the number of text tokens must be at least 1 (got {n})");
            prompts = prompts.Method is PromptMethod.Maple or PromptMethod.Mmrl ? prompts with { TextTokens = n, VisionTokens = n } : prompts with { TextTokens = n };
        }
        if (visionTokens is { } v)
        {
            Require(prompts.Method != PromptMethod.Mmrl, "MMRL's representation tokens are shared by both encoders: set the number of text tokens instead");
            Require(prompts.Method != PromptMethod.Maple, "MaPLe's vision tokens are coupled to its text tokens: set the number of text tokens instead");
            Require(prompts.VisionTokens > 0, $"{method} learns no vision tokens, so their number cannot be set");
            Require(v >= 1, $"the number of vision tokens must be at least 1 (got {v})");
            prompts = prompts with { VisionTokens = v };
        }
        if (depth is { } d)
        {
            Require(IsDeep, prompts.Method == PromptMethod.ZeroShot
                ? "zero-shot CLIP learns no prompts, so it has no prompt depth"
                : $"{method} prompts the input only, so its prompt depth cannot be set (deep-language and ivlp learn deep prompts)");
            Require(d >= 1, $"the prompt depth must be at least 1 (got {d})");
            prompts = prompts with { TextDepth = prompts.TextTokens > 0 ? d : 0, VisionDepth = prompts.VisionTokens > 0 ? d : 0 };
        }
        if (ctxInit is not null)
        {
            Require(prompts.Method != PromptMethod.Mmrl, $"MMRL's text is hand-written (\"{prompts.TextTemplate}\"), so it has no context init words");
            Require(prompts.TextTokens > 0, $"{method} learns no text tokens (its prompt is \"{PromptConfig.FixedTemplate}\"), so it has no context init words");
            prompts = prompts with { CtxInit = ctxInit };
        }
        if (prompts.Method is PromptMethod.CoOp or PromptMethod.CoCoOp && PromptLearners.WordCount(prompts.CtxInit) is var words and > 0)
        {
            // As in the authors' code, CoOp and CoCoOp learn one context token per init word.
            Require(nCtx is null || nCtx == words,
                $"{method} learns one context token per init word: \"{prompts.CtxInit}\" gives {words}, not {nCtx} (set the init words to \"\" for random tokens)");
            prompts = prompts with { TextTokens = words };
        }
        if (epochs is { } e)
            Require(e >= 1, $"the number of epochs must be at least 1 (got {e})");
        prompts.ValidateMethod(Name);
        var options = epochs is { } epochCount ? Options with { Epochs = epochCount } : Options;
        return this with { Prompts = prompts, Options = options };
    }

    /// <summary>
    /// Checks that the prompts fit a backbone of <paramref name="clip"/>'s dimensions. A prompt depth beyond its
    /// layers (the presets follow the paper's 12-layer ViT-B/16) is refused as the setting <c>Depth</c>, the one
    /// <see cref="Adapt"/> takes, naming the layer count.
    /// </summary>
    /// <exception cref="InvalidSettingException">The depth exceeds the backbone's layers.</exception>
    /// <exception cref="UserInputException">Another setting the backbone cannot hold.</exception>
    public void CheckFits(ClipConfig clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var depth = Math.Max(Prompts.TextDepth, Prompts.VisionDepth);
        var limit = Math.Min(Prompts.TextDepth > 0 ? clip.Text.Layers : int.MaxValue, Prompts.VisionDepth > 0 ? clip.Vision.Layers : int.MaxValue);
        if (depth > limit)
        {
            var presetDepth = All.TryGetValue(Name, out var preset) ? Math.Max(preset.Prompts.TextDepth, preset.Prompts.VisionDepth) : 0;
            var why = presetDepth == depth ? $"; {Name}'s depth {depth} is the paper's, for ViT-B/16's 12 layers" : "";
            throw new InvalidSettingException("Depth",
                $"must be at most {limit} for this backbone (its encoders have {clip.Text.Layers} text and {clip.Vision.Layers} vision layers){why}", depth);
        }
        Prompts.Validate(clip, Name);
    }

    /// <summary>Whether the preset inserts prompts beyond the input layer (its depth is a setting of the method).</summary>
    public bool IsDeep => Prompts.TextDepth > 1 || Prompts.VisionDepth > 1;

    void Require(bool ok, string what)
    {
        if (!ok)
            throw new UserInputException($"{Name}: {what}");
    }

    static TrainingOptions Recipe(int batch, double lr, int epochs) =>
        new() { BatchSize = batch, LearningRate = lr, Epochs = epochs };

    // AdamW at lr 1e-3 (Dassl's weight decay 5e-4, betas 0.9/0.999), cosine with one constant warm-up epoch at
    // 1e-5, random resized crop of scale (0.5, 1) + flip.
    static TrainingOptions MmrlRecipe(int batch, int epochs, double regWeight) =>
        Recipe(batch, 0.001, epochs) with { Optimizer = OptimizerKind.AdamW, CropMinScale = 0.5, MmrlConsistencyWeight = regWeight };
    // Every PromptSRC config: batch 4, lr 0.0025, text 25 / image 10 / logits 1.
    static TrainingOptions PromptSrcRecipe(int epochs, GaussianPromptAggregation aggregation) =>
        Recipe(4, 0.0025, epochs) with { SelfRegularization = SelfRegularization.PromptSrc, PromptAggregation = aggregation };
}
