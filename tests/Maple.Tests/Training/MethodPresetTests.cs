using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Training;

namespace Maple.Tests.Training;

/// <summary>
/// The presets against the authors' configs, and the one builder (<see cref="MethodPreset.Adapt"/>) refusing
/// what a method does not have.
/// </summary>
public sealed class MethodPresetTests
{
    /// <summary>
    /// Values read from muzairkhattak/multimodal-prompt-learning (commit 69bce21), configs/trainers/&lt;T&gt;/&lt;file&gt;.yaml,
    /// and train.py's defaults where a YAML leaves a setting out. Every one of these YAMLs also says: SGD,
    /// LR_SCHEDULER "cosine", WARMUP_EPOCH 1, WARMUP_TYPE "constant", WARMUP_CONS_LR 1e-5, TRANSFORMS
    /// random_resized_crop + random_flip + normalize, PREC "fp16" (CUDA half weights; Maple's precision is
    /// its own setting, not a preset's); Dassl's defaults give momentum 0.9 and weight decay 5e-4.
    /// </summary>
    public static TheoryData<string, PromptConfig, int, double, int> AuthorsConfigs => new()
    {
        // MaPLe/vit_b16_c2_ep5_batch4_2ctx.yaml: N_CTX 2, CTX_INIT "a photo of a", PROMPT_DEPTH 9; BATCH_SIZE 4, LR 0.0035, MAX_EPOCH 5
        { "maple", new(PromptMethod.Maple, 2, 2, 9, 9, "a photo of a"), 4, 0.0035, 5 },
        // MaPLe/vit_b16_c2_ep5_batch4_2ctx_cross_datasets.yaml: N_CTX 2, PROMPT_DEPTH 3; BATCH_SIZE 4, LR 0.0026, MAX_EPOCH 2
        { "maple-transfer", new(PromptMethod.Maple, 2, 2, 3, 3, "a photo of a"), 4, 0.0026, 2 },
        // IVLP/vit_b16_c2_ep5_batch4_2+2ctx.yaml: N_CTX_TEXT 2, N_CTX_VISION 2, PROMPT_DEPTH_TEXT 12, PROMPT_DEPTH_VISION 12,
        // CTX_INIT "a photo of a"; BATCH_SIZE 4, LR 0.0035, MAX_EPOCH 5
        { "ivlp", new(PromptMethod.Ivlp, 2, 2, 12, 12, "a photo of a"), 4, 0.0035, 5 },
        // IVLP/vit_b16_c2_ep5_batch4_4ctx_language_only.yaml: N_CTX_TEXT 4, N_CTX_VISION 0, PROMPT_DEPTH_TEXT 12,
        // PROMPT_DEPTH_VISION 0, CTX_INIT "a photo of a"; BATCH_SIZE 4, LR 0.0025, MAX_EPOCH 5
        { "deep-language", new(PromptMethod.DeepLanguage, 4, 0, 12, 0, "a photo of a"), 4, 0.0025, 5 },
        // VPT/vit_b16_c2_ep5_batch4_4.yaml: N_CTX_VISION 8, PROMPT_DEPTH_VISION 12 (fixed text "a photo of a {}.");
        // BATCH_SIZE 4, LR 0.0025, MAX_EPOCH 5
        { "vpt-deep", new(PromptMethod.VptDeep, 0, 8, 0, 12, ""), 4, 0.0025, 5 },
        // CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml (scripts/cocoop/base2new_train.sh): N_CTX 4, CTX_INIT "a photo of a";
        // BATCH_SIZE 1, LR 0.002, MAX_EPOCH 10
        { "cocoop", new(PromptMethod.CoCoOp, 4, 0, 1, 0, "a photo of a"), 1, 0.002, 10 },
        // CoOp/vit_b16.yaml: BATCH_SIZE 32, LR 0.002, MAX_EPOCH 200; N_CTX 16 and CTX_INIT "" from train.py's defaults
        // and scripts/coop/main.sh (NCTX 16, CSC False, class token at the end)
        { "coop", new(PromptMethod.CoOp, 16, 0, 1, 0, ""), 32, 0.002, 200 },
    };

    [Theory]
    [MemberData(nameof(AuthorsConfigs))]
    public void PresetsEqualTheAuthorsYaml(string name, PromptConfig prompts, int batch, double lr, int epochs)
    {
        var preset = MethodPreset.Get(name);
        Assert.Equal(prompts, preset.Prompts);
        var o = preset.Options;
        Assert.Equal((batch, lr, epochs), (o.BatchSize, o.LearningRate, o.Epochs));
        Assert.Equal((0.9, 5e-4), (o.Momentum, o.WeightDecay));
        Assert.Equal((ScheduleKind.Cosine, 1, 1e-5), (o.Schedule, o.WarmupEpochs, o.WarmupLearningRate));
        Assert.True(o.Augment);
    }

    /// <summary>
    /// yunncheng/MMRL (commit 27d8821), configs/trainers/MMRL/&lt;file&gt;.yaml. Every one of them says: optimiser
    /// "adamw", LR 0.001, LR_SCHEDULER "cosine", WARMUP_TYPE "constant", WARMUP_CONS_LR 1e-5, RRCROP_SCALE (0.5, 1),
    /// TRANSFORMS random_resized_crop + random_flip + normalize, ALPHA 0.7, N_REP_TOKENS 5, REP_LAYERS [6..12],
    /// REP_DIM 512 (PREC "amp" is a precision, not a preset's); Dassl's defaults give weight decay 5e-4.
    /// </summary>
    public static TheoryData<string, int, int, int, double> MmrlConfigs => new()
    {
        // vit_b16.yaml (base-to-novel): BATCH_SIZE 4, MAX_EPOCH 10, WARMUP_EPOCH 1, REG_WEIGHT 1.0
        { "mmrl", 4, 10, 1, 1.0 },
        // vit_b16_imagenet.yaml: BATCH_SIZE 32, MAX_EPOCH 5, WARMUP_EPOCH 1, REG_WEIGHT 1.0
        { "mmrl-imagenet", 32, 5, 1, 1.0 },
        // vit_b16_few_shot.yaml: BATCH_SIZE 32, MAX_EPOCH 50, WARMUP_EPOCH 1, REG_WEIGHT 0.5
        { "mmrl-few-shot", 32, 50, 1, 0.5 },
        // vit_b16_cross_datasets.yaml: BATCH_SIZE 32, MAX_EPOCH 1, WARMUP_EPOCH 0, REG_WEIGHT 0.2
        { "mmrl-transfer", 32, 1, 0, 0.2 },
    };

    [Theory]
    [MemberData(nameof(MmrlConfigs))]
    public void MmrlPresetsEqualTheAuthorsYaml(string name, int batch, int epochs, int warmupEpochs, double regWeight)
    {
        var preset = MethodPreset.Get(name);
        // REP_LAYERS [6..12] of ViT-B/16's 12 layers: the last 7.
        Assert.Equal(new PromptConfig(PromptMethod.Mmrl, 5, 5, 7, 7, "") { RepresentationDim = 512, ClassTokenWeight = 0.7, TextTemplate = "a photo of a {}." }, preset.Prompts);
        var o = preset.Options;
        Assert.Equal((batch, 0.001, epochs), (o.BatchSize, o.LearningRate, o.Epochs));
        Assert.Equal((OptimizerKind.AdamW, 5e-4, 0.5), (o.Optimizer, o.WeightDecay, o.CropMinScale));
        Assert.Equal((ScheduleKind.Cosine, warmupEpochs, 1e-5), (o.Schedule, o.WarmupEpochs, o.WarmupLearningRate));
        Assert.Equal(regWeight, o.MmrlConsistencyWeight);
        Assert.True(o.Augment);
    }

    [Theory]
    // trainers/config.py's MMRL table (applied after the YAML in every task) and CUSTOM_TEMPLATES of trainers/mmrl.py.
    [InlineData("StanfordCars", 7.0, 512, "a photo of a {}.")]
    [InlineData("FGVCAircraft", 6.0, 512, "a photo of a {}, a type of aircraft.")]
    [InlineData("SUN397", 6.0, 512, "a photo of a {}.")]
    [InlineData("DescribableTextures", 6.0, 512, "{} texture.")]
    [InlineData("Food101", 5.0, 512, "a photo of {}, a type of food.")]
    [InlineData("OxfordFlowers", 4.0, 512, "a photo of a {}, a type of flower.")]
    [InlineData("UCF101", 3.0, 512, "a photo of a person doing {}.")]
    [InlineData("ImageNet", 0.5, 512, "a photo of a {}.")]
    [InlineData("Caltech101", 0.5, 512, "a photo of a {}.")]
    [InlineData("OxfordPets", 0.2, 512, "a photo of a {}, a type of pet.")]
    [InlineData("EuroSAT", 0.01, 2048, "a centered satellite photo of {}.")]
    public void MmrlPerDatasetSettingsEqualTheAuthorsConfigPy(string dataset, double regWeight, int repDim, string template)
    {
        foreach (var name in new[] { "mmrl", "mmrl-imagenet", "mmrl-few-shot" })
        {
            var preset = MethodPreset.Get(name, dataset: dataset);
            Assert.Equal((regWeight, repDim, template), (preset.Options.MmrlConsistencyWeight, preset.Prompts.RepresentationDim, preset.Prompts.TextTemplate));
        }
        // The cross-dataset scripts pass TRAINER.MMRL.REG_WEIGHT 0.2 and REP_DIM 512 on the command line, after config.py.
        var transfer = MethodPreset.Get("mmrl-transfer", dataset: dataset);
        Assert.Equal((0.2, 512, template), (transfer.Options.MmrlConsistencyWeight, transfer.Prompts.RepresentationDim, transfer.Prompts.TextTemplate));
    }

    [Fact]
    public void DataThatIsNoBenchmarkBringsNoPerDatasetSettings()
    {
        Assert.Equal(MethodPreset.Get("mmrl"), MethodPreset.Get("mmrl", dataset: "my-photos"));
        Assert.Equal(MethodPreset.Get("promptsrc-few-shot"), MethodPreset.Get("promptsrc", dataset: "my-photos", protocol: TrainingProtocol.FewShot));
        // Accepted spellings of a benchmark are the benchmark.
        Assert.Equal(MethodPreset.Get("mmrl", dataset: "EuroSAT"), MethodPreset.Get("mmrl", dataset: "eurosat"));
    }

    /// <summary>
    /// Every protocol variant of every method against the authors' YAML values: the config their scripts choose for
    /// the protocol and dataset, then the dataset's own settings. Columns: method, protocol, dataset, the preset it
    /// trains as, batch, epochs, depth, then MMRL's REG_WEIGHT / REP_DIM or PromptSRC's GPA μ / σ
    /// (0 where the method has neither).
    /// </summary>
    /// <remarks>
    /// yunncheng/MMRL (commit 27d8821): scripts/mmrl/base2new_train.sh and few_shot.sh pick vit_b16_imagenet for imagenet,
    /// else vit_b16 (base) or vit_b16_few_shot (all classes); cross_datasets_train.sh vit_b16_cross_datasets with
    /// REG_WEIGHT 0.2. muzairkhattak/PromptSRC (commit bb95c77): reproduce_xd.sh vit_b16_c2_ep20_batch4_4+4ctx_cross_datasets,
    /// few_shot.sh vit_b16_c2_ep50_batch4_4+4ctx_few_shot. muzairkhattak/multimodal-prompt-learning (commit 904dbd7):
    /// scripts/maple/xd_train_maple.sh vit_b16_c2_ep5_batch4_2ctx_cross_datasets.
    /// </remarks>
    public static TheoryData<string, TrainingProtocol, string?, string, int, int, int, double, double> ProtocolVariants => new()
    {
        // MMRL vit_b16.yaml: BATCH_SIZE 4, MAX_EPOCH 10, WARMUP_EPOCH 1; config.py: EuroSAT REG_WEIGHT 0.01, REP_DIM 2048
        { "mmrl", TrainingProtocol.BaseToNovel, "EuroSAT", "mmrl", 4, 10, 7, 0.01, 2048 },
        { "mmrl", TrainingProtocol.BaseToNovel, "DescribableTextures", "mmrl", 4, 10, 7, 6.0, 512 },
        // vit_b16_imagenet.yaml: BATCH_SIZE 32, MAX_EPOCH 5; config.py: ImageNet REG_WEIGHT 0.5
        { "mmrl", TrainingProtocol.BaseToNovel, "ImageNet", "mmrl-imagenet", 32, 5, 7, 0.5, 512 },
        { "mmrl", TrainingProtocol.FewShot, "ImageNet", "mmrl-imagenet", 32, 5, 7, 0.5, 512 },
        // vit_b16_few_shot.yaml: BATCH_SIZE 32, MAX_EPOCH 50, REG_WEIGHT 0.5, overridden by config.py (Caltech101 0.5, UCF101 3.0)
        { "mmrl", TrainingProtocol.FewShot, "UCF101", "mmrl-few-shot", 32, 50, 7, 3.0, 512 },
        { "mmrl", TrainingProtocol.FewShot, null, "mmrl-few-shot", 32, 50, 7, 0.5, 512 },
        // vit_b16_cross_datasets.yaml: BATCH_SIZE 32, MAX_EPOCH 1, WARMUP_EPOCH 0; REG_WEIGHT 0.2 and REP_DIM 512 from the script
        { "mmrl", TrainingProtocol.CrossDataset, "ImageNet", "mmrl-transfer", 32, 1, 7, 0.2, 512 },
        // PromptSRC vit_b16_c2_ep20_batch4_4+4ctx.yaml: PROMPT_DEPTH 9, MAX_EPOCH 20, GPA_MEAN 15, GPA_STD 1
        { "promptsrc", TrainingProtocol.BaseToNovel, "ImageNet", "promptsrc", 4, 20, 9, 15, 1 },
        // vit_b16_c2_ep20_batch4_4+4ctx_cross_datasets.yaml: PROMPT_DEPTH 3, MAX_EPOCH 20, GPA_MEAN 6, GPA_STD 10
        { "promptsrc", TrainingProtocol.CrossDataset, "ImageNet", "promptsrc-transfer", 4, 20, 3, 6, 10 },
        // vit_b16_c2_ep50_batch4_4+4ctx_few_shot.yaml: MAX_EPOCH 50, GPA 30 / 30 "for ImageNet, Caltech101, OxfordPets, Food101,
        // UCF101 and SUN397", 45 / 5 "for StanfordCars, Flowers102, FGVCAircraft, DTD and EuroSAT"
        { "promptsrc", TrainingProtocol.FewShot, "Caltech101", "promptsrc-few-shot", 4, 50, 9, 30, 30 },
        { "promptsrc", TrainingProtocol.FewShot, "OxfordFlowers", "promptsrc-few-shot", 4, 50, 9, 45, 5 },
        { "promptsrc", TrainingProtocol.FewShot, "EuroSAT", "promptsrc-few-shot", 4, 50, 9, 45, 5 },
        // MaPLe vit_b16_c2_ep5_batch4_2ctx_cross_datasets.yaml: PROMPT_DEPTH 3, MAX_EPOCH 2, LR 0.0026; its few-shot and
        // base-to-novel runs use vit_b16_c2_ep5_batch4_2ctx.yaml
        { "maple", TrainingProtocol.CrossDataset, "ImageNet", "maple-transfer", 4, 2, 3, 0, 0 },
        { "maple", TrainingProtocol.FewShot, "ImageNet", "maple", 4, 5, 9, 0, 0 },
        { "maple", TrainingProtocol.BaseToNovel, "EuroSAT", "maple", 4, 5, 9, 0, 0 },
        // A variant named directly is its own in every protocol.
        { "mmrl-transfer", TrainingProtocol.FewShot, "EuroSAT", "mmrl-transfer", 32, 1, 7, 0.2, 512 },
    };

    [Theory]
    [MemberData(nameof(ProtocolVariants))]
    public void EachProtocolTrainsAMethodWithItsAuthorsConfig(string name, TrainingProtocol protocol, string? dataset, string variant,
        int batch, int epochs, int depth, double first, double second)
    {
        Assert.Equal(variant, MethodPreset.Variant(name, protocol, dataset));
        var preset = MethodPreset.Get(name, shots: 16, dataset: dataset, protocol: protocol);
        Assert.Equal(variant, preset.Name);
        var (p, o) = (preset.Prompts, preset.Options);
        Assert.Equal((batch, epochs), (o.BatchSize, o.Epochs));
        Assert.Equal((depth, depth), (p.TextDepth, p.VisionDepth));
        switch (p.Method)
        {
            case PromptMethod.Mmrl:
                Assert.Equal((first, (int)second), (o.MmrlConsistencyWeight, p.RepresentationDim));
                Assert.Equal(OptimizerKind.AdamW, o.Optimizer);
                break;
            case PromptMethod.PromptSrc:
                Assert.Equal(new GaussianPromptAggregation(first, second), o.PromptAggregation);
                Assert.Equal(new SelfRegularization(25, 10, 1), o.SelfRegularization);
                break;
            default:
                Assert.Null(o.PromptAggregation);
                Assert.Equal(OptimizerKind.Sgd, o.Optimizer);
                break;
        }
    }

    [Fact]
    public void AnUnknownProtocolIsRefusedByName()
    {
        Assert.Equal(TrainingProtocol.FewShot, TrainingProtocols.Parse("Few-Shot"));
        var error = Assert.Throws<UserInputException>(() => TrainingProtocols.Parse("zero-shot"));
        Assert.Equal("unknown protocol 'zero-shot': expected one of base2novel, few-shot, cross-dataset", error.Message);
    }

    /// <summary>
    /// Values read from muzairkhattak/PromptSRC (commit bb95c77), configs/trainers/PromptSRC/&lt;file&gt;.yaml. Every one
    /// says N_CTX_TEXT 4, N_CTX_VISION 4, CTX_INIT "a photo of a", TEXT_LOSS_WEIGHT 25, IMAGE_LOSS_WEIGHT 10 (the logits
    /// term's weight is a fixed 1 in trainers/promptsrc.py), BATCH_SIZE 4, LR 0.0025, SGD, cosine, WARMUP_EPOCH 1
    /// constant at 1e-5; the dataset, when given, is the one trained on.
    /// </summary>
    public static TheoryData<string, string?, int, int, double, double> PromptSrcConfigs => new()
    {
        // vit_b16_c2_ep20_batch4_4+4ctx.yaml: PROMPT_DEPTH 9 + 9, MAX_EPOCH 20, GPA_MEAN 15, GPA_STD 1
        { "promptsrc", null, 9, 20, 15, 1 },
        { "promptsrc", "EuroSAT", 9, 20, 15, 1 },
        // vit_b16_c2_ep20_batch4_4+4ctx_cross_datasets.yaml: PROMPT_DEPTH 3 + 3, MAX_EPOCH 20, GPA_MEAN 6, GPA_STD 10
        { "promptsrc-transfer", null, 3, 20, 6, 10 },
        // vit_b16_c2_ep50_batch4_4+4ctx_few_shot.yaml: PROMPT_DEPTH 9 + 9, MAX_EPOCH 50, GPA_MEAN 30, GPA_STD 30 "for ImageNet,
        // Caltech101, OxfordPets, Food101, UCF101 and SUN397", 45 and 5 "for StanfordCars, Flowers102, FGVCAircraft, DTD and EuroSAT"
        { "promptsrc-few-shot", null, 9, 50, 30, 30 },
        { "promptsrc-few-shot", "ImageNet", 9, 50, 30, 30 },
        { "promptsrc-few-shot", "SUN397", 9, 50, 30, 30 },
        { "promptsrc-few-shot", "StanfordCars", 9, 50, 45, 5 },
        { "promptsrc-few-shot", "OxfordFlowers", 9, 50, 45, 5 },
        { "promptsrc-few-shot", "FGVCAircraft", 9, 50, 45, 5 },
        { "promptsrc-few-shot", "DescribableTextures", 9, 50, 45, 5 },
        { "promptsrc-few-shot", "EuroSAT", 9, 50, 45, 5 },
    };

    [Theory]
    [MemberData(nameof(PromptSrcConfigs))]
    public void PromptSrcPresetsEqualTheAuthorsYaml(string name, string? dataset, int depth, int epochs, double gpaMean, double gpaStd)
    {
        var preset = MethodPreset.Get(name, shots: 16, dataset: dataset);
        Assert.Equal(new PromptConfig(PromptMethod.PromptSrc, 4, 4, depth, depth, "a photo of a"), preset.Prompts);
        var o = preset.Options;
        Assert.Equal((4, 0.0025, epochs), (o.BatchSize, o.LearningRate, o.Epochs));
        Assert.Equal((0.9, 5e-4), (o.Momentum, o.WeightDecay));
        Assert.Equal((ScheduleKind.Cosine, 1, 1e-5), (o.Schedule, o.WarmupEpochs, o.WarmupLearningRate));
        Assert.True(o.Augment);
        Assert.Equal(new SelfRegularization(25, 10, 1), o.SelfRegularization);
        Assert.Equal(new GaussianPromptAggregation(gpaMean, gpaStd), o.PromptAggregation);
        Assert.Equal(0, o.LoCoOpLambda);
    }

    [Fact]
    public void TheOtherPresetsTrainWithCrossEntropyAloneAndKeepTheLastEpoch() =>
        Assert.All(MethodPreset.All.Values.Where(p => p.Prompts.Method != PromptMethod.PromptSrc), p =>
        {
            Assert.Null(p.Options.SelfRegularization);
            Assert.Null(p.Options.PromptAggregation);
        });

    [Fact]
    public void PromptSrcsTextDiversityTemplatesAreTheAuthors60()
    {
        // trainers/imagenet_templates.py, IMAGENET_TEMPLATES: its first, a middle and its last two entries, and two of
        // CLIP's 80 that it leaves out.
        Assert.Equal(60, PromptTemplates.PromptSrc.Count);
        Assert.Equal(60, PromptTemplates.PromptSrc.Distinct().Count());
        Assert.Contains("a photo of a {}.", PromptTemplates.PromptSrc);
        Assert.Contains("a photo of the cool {}.", PromptTemplates.PromptSrc);
        Assert.Contains("a pixelated photo of a {}.", PromptTemplates.PromptSrc);
        Assert.Contains("itap of the {}.", PromptTemplates.PromptSrc);
        Assert.DoesNotContain("itap of a {}.", PromptTemplates.PromptSrc);
        Assert.DoesNotContain("a toy {}.", PromptTemplates.PromptSrc);
    }

    [Theory]
    // CoOp/vit_b16_ep50.yaml for 1 and 2 shots, vit_b16_ep100.yaml for 4 and 8, vit_b16.yaml (200) for 16 (CoOp's few-shot recipe).
    [InlineData(1, 50)]
    [InlineData(2, 50)]
    [InlineData(4, 100)]
    [InlineData(8, 100)]
    [InlineData(16, 200)]
    public void CoOpEpochsFollowTheShots(int shots, int epochs) =>
        Assert.Equal(epochs, MethodPreset.Get("coop", shots).Options.Epochs);

    [Theory]
    [InlineData("coop", 3, null, null, null, "coop: coop prompts the input only, so its prompt depth cannot be set (deep-language and ivlp learn deep prompts)")]
    [InlineData("cocoop", 2, null, null, null, "cocoop: cocoop prompts the input only, so its prompt depth cannot be set (deep-language and ivlp learn deep prompts)")]
    [InlineData("zeroshot", 3, null, null, null, "zeroshot: zero-shot CLIP learns no prompts, so it has no prompt depth")]
    [InlineData("coop", null, null, 2, null, "coop: coop learns no vision tokens, so their number cannot be set")]
    [InlineData("deep-language", null, null, 2, null, "deep-language: deep-language learns no vision tokens, so their number cannot be set")]
    [InlineData("vpt-deep", null, 4, null, null, "vpt-deep: vpt-deep learns no text tokens, so their number cannot be set")]
    [InlineData("vpt-deep", null, null, null, "a photo of a", "vpt-deep: vpt-deep learns no text tokens (its prompt is \"a photo of a {}.\"), so it has no context init words")]
    [InlineData("zeroshot", null, 4, null, null, "zeroshot: zeroshot learns no text tokens, so their number cannot be set")]
    [InlineData("maple", null, null, 4, null, "maple: MaPLe's vision tokens are coupled to its text tokens: set the number of text tokens instead")]
    [InlineData("cocoop", null, 16, null, null, "cocoop: cocoop learns one context token per init word: \"a photo of a\" gives 4, not 16 (set the init words to \"\" for random tokens)")]
    [InlineData("coop", null, 8, null, "a photo of a", "coop: coop learns one context token per init word: \"a photo of a\" gives 4, not 8 (set the init words to \"\" for random tokens)")]
    [InlineData("ivlp", 0, null, null, null, "ivlp: the prompt depth must be at least 1 (got 0)")]
    [InlineData("ivlp", null, 0, null, null, "ivlp: the number of text tokens must be at least 1 (got 0)")]
    public void SettingsAMethodDoesNotHaveAreRefused(string name, int? depth, int? nCtx, int? visionTokens, string? ctxInit, string message)
    {
        var error = Assert.Throws<UserInputException>(() => MethodPreset.Get(name).Adapt(nCtx, depth, visionTokens: visionTokens, ctxInit: ctxInit));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void SettingsAMethodHasAreApplied()
    {
        Assert.Equal(new PromptConfig(PromptMethod.Ivlp, 4, 6, 3, 3, "X"), MethodPreset.Get("ivlp").Adapt(nCtx: 4, depth: 3, visionTokens: 6, ctxInit: "X").Prompts);
        Assert.Equal(new PromptConfig(PromptMethod.Maple, 3, 3, 2, 2, "a photo of a"), MethodPreset.Get("maple").Adapt(nCtx: 3, depth: 2).Prompts);
        Assert.Equal(new PromptConfig(PromptMethod.VptDeep, 0, 4, 0, 3, ""), MethodPreset.Get("vpt-deep").Adapt(depth: 3, visionTokens: 4).Prompts);
        Assert.Equal(new PromptConfig(PromptMethod.CoOp, 8, 0, 1, 0, ""), MethodPreset.Get("coop").Adapt(nCtx: 8).Prompts);
        Assert.Equal(new PromptConfig(PromptMethod.CoOp, 2, 0, 1, 0, "a photo"), MethodPreset.Get("coop").Adapt(ctxInit: "a photo").Prompts);
        Assert.Equal(new PromptConfig(PromptMethod.CoCoOp, 16, 0, 1, 0, ""), MethodPreset.Get("cocoop").Adapt(nCtx: 16, ctxInit: "").Prompts);
        Assert.Equal(7, MethodPreset.Get("cocoop").Adapt(epochs: 7).Options.Epochs);
    }

    [Theory]
    [InlineData(PromptMethod.CoOp, 16, 0, 3, 0, "CoOp prompts the text input only: its prompt depth must be 1 (got 3; deep-language or ivlp learn deeper prompts)")]
    [InlineData(PromptMethod.CoCoOp, 4, 2, 1, 1, "CoCoOp learns no vision prompts: vision tokens and depth must be 0 (ivlp learns both)")]
    [InlineData(PromptMethod.DeepLanguage, 4, 2, 3, 3, "deep language prompting learns no vision prompts: vision tokens and depth must be 0 (ivlp learns both)")]
    [InlineData(PromptMethod.VptDeep, 2, 8, 3, 3, "VPT-deep learns no text prompts (its text is \"a photo of a {class}.\"): text tokens and depth must be 0 (ivlp learns both)")]
    [InlineData(PromptMethod.Ivlp, 2, 0, 3, 0, "IVLP learns text and vision tokens: both numbers must be at least 1 (deep-language learns text only, vpt-deep vision only)")]
    [InlineData(PromptMethod.ZeroShot, 4, 0, 1, 0, "zero-shot CLIP learns no prompts: text and vision tokens and depths must be 0")]
    [InlineData(PromptMethod.Maple, 2, 2, 3, 2, "MaPLe couples every text prompt to a vision prompt: equal token counts and depths, at least 1")]
    public void EachMethodRefusesAShapeItDoesNotHave(PromptMethod method, int textTokens, int visionTokens, int textDepth, int visionDepth, string message)
    {
        // A checkpoint's metadata can state any shape: the learner refuses it as the builder does.
        var config = new PromptConfig(method, textTokens, visionTokens, textDepth, visionDepth, "");
        var error = Assert.Throws<UserInputException>(() => config.ValidateMethod("prompt.safetensors"));
        Assert.Equal($"prompt.safetensors: {message}", error.Message);
    }

    [Fact]
    public void ACheckpointLabelledCoOpWithDeepPromptsIsRefused()
    {
        using var temp = new TempFolder();
        var path = temp["coop-deep.safetensors"];
        using (var ctx = TorchSharp.torch.zeros(4, 128))
        using (var deep = TorchSharp.torch.zeros(4, 128))
        {
            SafetensorsWriter.Write(path,
                [new("prompt_learner.ctx", ctx), new("text_encoder.transformer.resblocks.1.VPT_shallow", deep)],
                new Dictionary<string, string> { ["method"] = "coop", ["n_ctx"] = "4", ["n_ctx_vision"] = "0", ["text_depth"] = "2", ["vision_depth"] = "0" });
        }
        var error = Assert.Throws<InvalidDataException>(() => PromptCheckpoint.Read(path));
        Assert.Equal($"{path}: metadata: CoOp prompts the text input only: its prompt depth must be 1 (got 2; deep-language or ivlp learn deeper prompts)", error.Message);
    }

    [Theory]
    [InlineData("maple", null, "Depth must be at most 6 for this backbone (its encoders have 6 text and 6 vision layers); maple's depth 9 is the paper's, for ViT-B/16's 12 layers (got 9)")]
    [InlineData("ivlp", 8, "Depth must be at most 6 for this backbone (its encoders have 6 text and 6 vision layers) (got 8)")]
    [InlineData("vpt-deep", null, "Depth must be at most 6 for this backbone (its encoders have 6 text and 6 vision layers); vpt-deep's depth 12 is the paper's, for ViT-B/16's 12 layers (got 12)")]
    public void ADepthBeyondTheBackboneIsTheDepthSettingWithTheLayerCount(string method, int? depth, string expected)
    {
        var backbone = Backbone(textLayers: 6, visionLayers: 6);
        var error = Assert.Throws<InvalidSettingException>(() => MethodPreset.Get(method).Adapt(depth: depth).CheckFits(backbone));
        Assert.Equal("Depth", error.Setting);
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void ADepthFitsWhenEachPromptedEncoderHasTheLayers()
    {
        MethodPreset.Get("maple").Adapt(depth: 6).CheckFits(Backbone(6, 6));
        MethodPreset.Get("maple").CheckFits(Backbone(24, 24)); // ViT-L/14: the paper's depth 9 fits
        MethodPreset.Get("deep-language").CheckFits(Backbone(12, 3)); // text prompts only: the image encoder's depth does not matter
        MethodPreset.Get("coop").CheckFits(Backbone(3, 3));
        Assert.Throws<InvalidSettingException>(() => MethodPreset.Get("vpt-deep").CheckFits(Backbone(12, 3)));
    }

    static Maple.Clip.ClipConfig Backbone(int textLayers, int visionLayers) => new(
        new Maple.Clip.ClipTextConfig(49408, 512, textLayers, 8, 2048, 77, "quick_gelu", 1e-5),
        new Maple.Clip.ClipVisionConfig(768, visionLayers, 12, 3072, 224, 16, "quick_gelu", 1e-5),
        512);
}
