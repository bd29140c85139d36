using Maple.Clip.Modules;
using Maple.Clip.Weights;
using Maple.Imaging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Clip;

/// <summary>
/// A frozen CLIP: image and text encoders and the logit scale. Prompt methods reach it only through
/// <see cref="LayerPrompts"/>; nothing here knows about a method.
/// </summary>
/// <remarks>
/// A module like any other: <c>to(device)</c> moves it whole, and the properties that expose its tensors
/// (<see cref="LogitScale"/>, the encoders' embeddings, every layer's weights) follow the tensors the move creates.
/// </remarks>
public sealed class ClipModel : nn.Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates a model with uninitialised weights on <paramref name="device"/> (the CPU when null); fill them with
    /// <see cref="ClipWeightLoader"/> or <see cref="InitializeRandom"/>. In bf16 the matrix weights (linear layers and
    /// the patch convolution) are bf16; embeddings, LayerNorms, the residual stream and the logit scale stay fp32:
    /// they are cheap and carry the accuracy.
    /// </summary>
    /// <exception cref="UserInputException">The device is not available here.</exception>
    public ClipModel(ClipConfig config, Precision precision = Precision.Fp32, Device? device = null) : base(nameof(ClipModel))
    {
        device ??= ComputeDevice.Cpu;
        ComputeDevice.Check(device);
        Config = config;
        PrecisionChoice = PrecisionSupport.Choose(precision, device);
        Precision = PrecisionChoice.Resolved;
        var dtype = Precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        Visual = new VisionTransformer(config.Vision, config.EmbedDim, dtype);
        Text = new TextTransformer(config.Text, config.EmbedDim, dtype);
        LogitScale = new Parameter(tensor((float)config.LogitScaleInit), requires_grad: false);
        register_module("visual", Visual);
        register_module("text", Text);
        register_parameter("logit_scale", LogitScale);
        foreach (var parameter in parameters())
            parameter.DetachFromDisposeScope(); // the model outlives any dispose scope it is created in
        if (device.type != DeviceType.CPU)
            this.to(device);
        eval();
    }

    /// <summary>The architecture.</summary>
    public ClipConfig Config { get; }

    /// <summary>The image encoder.</summary>
    public VisionTransformer Visual { get; }

    /// <summary>The text encoder.</summary>
    public TextTransformer Text { get; }

    /// <summary>log of the logit scale (CLIP's temperature), a scalar.</summary>
    [field: TorchSharp.Utils.ComponentName(Name = "logit_scale")]
    public Parameter LogitScale { get; }

    /// <summary>The pixel normalisation the model was trained with (CLIP's, or a checkpoint's <c>preprocessor_config.json</c>).</summary>
    public ImageNormalization Normalization { get; set; } = ImageNormalization.Clip;

    /// <summary>The precision of the matrix work: <see cref="Maple.Precision.Fp32"/> or <see cref="Maple.Precision.Bf16"/>.</summary>
    public Precision Precision { get; }

    /// <summary>How <see cref="Precision"/> was chosen: what was asked for and why it resolved as it did.</summary>
    public PrecisionChoice PrecisionChoice { get; }

    /// <summary>
    /// The device the weights are on and every result is computed on: the CPU or a CUDA GPU. Inputs on another
    /// device (pixels and token ids made on the CPU) are moved to it.
    /// </summary>
    public Device Device => LogitScale.device;

    /// <summary>
    /// Whether the frozen blocks of both encoders save memory in training steps at some cost in backward time (see
    /// <see cref="PromptedTransformer.MemorySavingBackward"/>). Off by default.
    /// </summary>
    public bool MemorySavingBackward
    {
        get => Visual.Transformer.MemorySavingBackward;
        set => Visual.Transformer.MemorySavingBackward = Text.Transformer.MemorySavingBackward = value;
    }

    /// <summary>
    /// Loads a model from a Hugging Face folder, open_clip weights or an OpenAI archive onto <paramref name="device"/>
    /// (the CPU when null); <paramref name="config"/> is an explicit config file (see <see cref="ClipWeightLoader.Load"/>).
    /// </summary>
    public static ClipModel Load(string path, Precision precision = Precision.Auto, string? config = null, Device? device = null) =>
        ClipWeightLoader.Load(path, precision, config, device);

    /// <summary>Image features [batch, embed], fp32, not normalised.</summary>
    public Tensor EncodeImage(Tensor pixels, LayerPrompts? prompts = null) => Visual.Forward(pixels, prompts);

    /// <summary>
    /// Image features [batch, embed] (as <see cref="EncodeImage"/>) and local patch features
    /// [batch, patches, embed] in the same joint space; see <see cref="VisionTransformer.ForwardWithLocal"/>.
    /// </summary>
    public (Tensor Global, Tensor Local) EncodeImageWithLocal(Tensor pixels, LayerPrompts? prompts = null) =>
        Visual.ForwardWithLocal(pixels, prompts);

    /// <summary>
    /// Image features [batch, embed] (as <see cref="EncodeImage"/>) and the prompt tokens' outputs after ln_post
    /// [batch, tokens, width]; see <see cref="VisionTransformer.ForwardWithPromptTokens"/>.
    /// </summary>
    public (Tensor Global, Tensor PromptTokens) EncodeImageWithPromptTokens(Tensor pixels, LayerPrompts prompts) =>
        Visual.ForwardWithPromptTokens(pixels, prompts);

    /// <summary>Text features [n, embed], fp32, not normalised, of token ids [n, context].</summary>
    public Tensor EncodeText(Tensor tokenIds, LayerPrompts? prompts = null) => Text.Forward(tokenIds, prompts);

    /// <summary>exp(logit_scale) × cosine similarity: [images, texts].</summary>
    public Tensor Logits(Tensor imageFeatures, Tensor textFeatures)
    {
        using var scope = NewDisposeScope();
        var image = Normalize(imageFeatures);
        var text = Normalize(textFeatures);
        return (LogitScale.exp() * image.matmul(text.t())).MoveToOuterDisposeScope();
    }

    /// <summary>L2-normalises the rows, in fp32.</summary>
    public static Tensor Normalize(Tensor features)
    {
        var f = features.to(ScalarType.Float32);
        return f / f.norm(-1, keepdim: true);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor pixels) => EncodeImage(pixels);

    /// <summary>
    /// Makes every weight trainable (contrastive pretraining) or frozen again (prompt learning, the
    /// default): sets <c>requires_grad</c> on all parameters.
    /// </summary>
    public void SetTrainable(bool trainable)
    {
        foreach (var parameter in parameters())
            parameter.requires_grad = trainable;
        if (trainable)
            train();
        else
            eval();
    }

    /// <summary>
    /// Fills every weight with a seeded random draw in CLIP's initialisation ranges (N(0, 0.02) matrices,
    /// unit LayerNorms): for benchmarks, tests and the built-in demo, never for real use.
    /// </summary>
    public void InitializeRandom(long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        using (no_grad())
        {
            foreach (var (name, parameter) in named_parameters())
            {
                if (name.Contains("ln_"))
                    continue; // LayerNorms keep their unit scale and zero shift
                if (name == "logit_scale")
                    parameter.fill_(Config.LogitScaleInit);
                else if (name.EndsWith(".bias", StringComparison.Ordinal))
                    parameter.zero_();
                else
                    parameter.copy_(normal(0, 0.02, parameter.shape, generator: generator).to(parameter.dtype));
            }
        }
    }
}
