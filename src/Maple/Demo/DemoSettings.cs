using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Maple.Clip;
using Maple.Evaluation.Ood;
using Maple.Training;

namespace Maple.Demo;

/// <summary>
/// The sizes of a demo run: the small CLIP, its pretraining, and the downstream base-to-novel task.
/// <see cref="Full"/> is what <c>maple demo</c> runs; <see cref="Quick"/> is a reduced version for tests.
/// </summary>
public sealed record DemoSettings
{
    /// <summary>Image side in pixels (a multiple of <see cref="PatchSize"/>).</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>ViT patch side in pixels.</summary>
    public int PatchSize { get; init; } = 8;

    /// <summary>Vision transformer width.</summary>
    public int VisionWidth { get; init; } = 64;

    /// <summary>Vision transformer blocks.</summary>
    public int VisionLayers { get; init; } = 3;

    /// <summary>Text transformer width.</summary>
    public int TextWidth { get; init; } = 64;

    /// <summary>Text transformer blocks.</summary>
    public int TextLayers { get; init; } = 3;

    /// <summary>Attention heads in both encoders.</summary>
    public int Heads { get; init; } = 2;

    /// <summary>Joint embedding width.</summary>
    public int EmbedDim { get; init; } = 64;

    /// <summary>Tokens per text (CLIP's is 77; the demo's captions need far fewer).</summary>
    public int ContextLength { get; init; } = 32;

    /// <summary>Pretraining images rendered per class.</summary>
    public int PretrainImagesPerClass { get; init; } = 100;

    /// <summary>
    /// Contrastive pretraining. exp(logit_scale) is capped at 10: uncapped, this small CLIP reaches 29–36 and is then
    /// confidently wrong under the downstream light, and cross-entropy on 16 shots falls fastest by making the prompted
    /// model unsure rather than right (docs/demo.md measures both).
    /// </summary>
    public PretrainingOptions Pretraining { get; init; } = new() { Steps = 2500, LearningRate = 1e-3, WarmupSteps = 100, MaxLogitScale = 10 };

    /// <summary>Training images per base class (K shots).</summary>
    public int Shots { get; init; } = 16;

    /// <summary>Test images per class, for base and novel classes alike (and per OOD class).</summary>
    public int TestImagesPerClass { get; init; } = 100;

    /// <summary>CoOp's learned context tokens (as many as <see cref="CoOpInit"/> has words).</summary>
    public int CoOpContext { get; init; } = 4;

    /// <summary>
    /// Words that initialise CoOp's context ("" = random): "a photo of a", one of the initialisations the CoOp
    /// paper reports, and the one MaPLe starts from (docs/demo.md says why not a random one).
    /// </summary>
    public string CoOpInit { get; init; } = "a photo of a";

    /// <summary>CoOp's batch size (the paper's is 32; docs/demo.md says why the demo's is smaller).</summary>
    public int CoOpBatchSize { get; init; } = 8;

    /// <summary>CoOp's epochs (the paper's are 200 for 16 shots; docs/demo.md says why the demo trains 20).</summary>
    public int CoOpEpochs { get; init; } = 20;

    /// <summary>CoOp's SGD learning rate: the CoOp paper's.</summary>
    public double CoOpLearningRate { get; init; } = 0.002;

    /// <summary>MaPLe's prompt tokens per layer (n_ctx).</summary>
    public int MapleContext { get; init; } = 2;

    /// <summary>MaPLe's prompt depth J (at most the layers of either encoder).</summary>
    public int MapleDepth { get; init; } = 3;

    /// <summary>MaPLe's batch size: the MaPLe paper's.</summary>
    public int MapleBatchSize { get; init; } = 4;

    /// <summary>MaPLe's epochs (the paper's are 5; the demo gives MaPLe CoOp's 20, see docs/demo.md).</summary>
    public int MapleEpochs { get; init; } = 20;

    /// <summary>MaPLe's SGD learning rate: the MaPLe paper's.</summary>
    public double MapleLearningRate { get; init; } = 0.0035;

    /// <summary>PromptSRC's prompt depth in both encoders (at most their layers; the paper's is 9 of 12).</summary>
    public int PromptSrcDepth { get; init; } = 3;

    /// <summary>PromptSRC's epochs: the paper's 20, so that its Gaussian aggregation (μ 15, σ 1) is the paper's too.</summary>
    public int PromptSrcEpochs { get; init; } = 20;

    /// <summary>MMRL's representation layers: the last ones of each encoder, fewer than its layers (the paper's are 7 of 12).</summary>
    public int MmrlDepth { get; init; } = 2;

    /// <summary>MMRL's epochs: the paper's 10.</summary>
    public int MmrlEpochs { get; init; } = 10;

    /// <summary>
    /// The methods the demo runs, in the order of its tables, each built from its preset by
    /// <see cref="MethodPreset.Adapt"/> (the one place a method is built): zero-shot CLIP, CoOp and MaPLe (the
    /// paper's comparison), then PromptSRC and MMRL.
    /// </summary>
    public IReadOnlyList<DemoMethod> Methods() =>
    [
        new(DemoSummary.ZeroShot, MethodPreset.Get("zeroshot"), [("MCM", OodScore.Mcm)]),
        new(DemoSummary.CoOp, WithRecipe(MethodPreset.Get("coop").Adapt(nCtx: CoOpContext, ctxInit: CoOpInit, epochs: CoOpEpochs), CoOpBatchSize, CoOpLearningRate), []),
        new(DemoSummary.Maple, WithRecipe(MethodPreset.Get("maple").Adapt(nCtx: MapleContext, depth: MapleDepth, epochs: MapleEpochs), MapleBatchSize, MapleLearningRate),
            [("MCM", OodScore.Mcm), ("GL-MCM", OodScore.GlMcm)]),
        new("PromptSRC", MethodPreset.Get("promptsrc").Adapt(depth: PromptSrcDepth, epochs: PromptSrcEpochs), []),
        new("MMRL", MethodPreset.Get("mmrl").Adapt(depth: MmrlDepth, epochs: MmrlEpochs), []),
    ];

    static MethodPreset WithRecipe(MethodPreset preset, int batchSize, double learningRate) =>
        preset with { Options = preset.Options with { BatchSize = batchSize, LearningRate = learningRate } };

    /// <summary>The full demo: pretraining and all three methods in a few minutes on two cores.</summary>
    public static DemoSettings Full { get; } = new();

    /// <summary>A reduced demo for tests: a smaller model, fewer images and steps; the numbers mean little.</summary>
    public static DemoSettings Quick { get; } = new()
    {
        VisionWidth = 32,
        VisionLayers = 2,
        TextWidth = 32,
        TextLayers = 2,
        Heads = 2,
        EmbedDim = 32,
        PretrainImagesPerClass = 4,
        Pretraining = new PretrainingOptions { Steps = 30, WarmupSteps = 5 },
        Shots = 2,
        TestImagesPerClass = 2,
        CoOpEpochs = 2,
        MapleEpochs = 2,
        CoOpContext = 4,
        MapleDepth = 2,
        PromptSrcDepth = 2,
        PromptSrcEpochs = 2,
        MmrlDepth = 1,
        MmrlEpochs = 2,
    };

    /// <summary>The small CLIP's architecture; <paramref name="vocabularySize"/> comes from the demo vocabulary.</summary>
    public ClipConfig ModelConfig(int vocabularySize)
    {
        var config = new ClipConfig(
            new ClipTextConfig(vocabularySize, TextWidth, TextLayers, Heads, 4 * TextWidth, ContextLength, "quick_gelu", 1e-5),
            new ClipVisionConfig(VisionWidth, VisionLayers, Heads, 4 * VisionWidth, ImageSize, PatchSize, "quick_gelu", 1e-5),
            EmbedDim);
        config.Validate("demo settings");
        return config;
    }

    /// <summary>
    /// A short hash of everything the pretrained model depends on (world, drawing, vocabulary, architecture,
    /// pretraining settings and seed, the pretraining code's version), naming its cache folder: changing any
    /// of them pretrains anew. The thread count is not in it: pretraining always runs on one thread.
    /// </summary>
    public string ModelHash(DemoWorld world, DemoVocabulary vocabulary)
    {
        var key = JsonSerializer.Serialize(new
        {
            format = 2,
            style = DemoWorld.StyleVersion,
            pretraining_code = ContrastivePretraining.Version,
            world = world.Describe(),
            words = vocabulary.Words,
            config = ModelConfig(vocabulary.Size).ToHuggingFace().ToJsonString(),
            images = PretrainImagesPerClass,
            pretraining = Pretraining,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
    }
}
