using Maple.Clip;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// The weights of PromptSRC's self-regularising terms (Khattak et al., ICCV 2023; the authors'
/// <c>TEXT_LOSS_WEIGHT</c>, <c>IMAGE_LOSS_WEIGHT</c> and the logits term's fixed 1).
/// </summary>
/// <param name="Text">Weight of the L1 distance between prompted and frozen text features (their configs: 25).</param>
/// <param name="Image">Weight of the L1 distance between prompted and frozen image features (10).</param>
/// <param name="Logits">Weight of KL(zero-shot ‖ prompted) over the logits (1).</param>
public sealed record SelfRegularization(double Text, double Image, double Logits)
{
    /// <summary>The weights of every PromptSRC config: text 25, image 10, logits 1.</summary>
    public static SelfRegularization PromptSrc { get; } = new(25, 10, 1);

    /// <summary>Checks the weights; an error is an <see cref="InvalidSettingException"/> naming the weight.</summary>
    public void Validate()
    {
        NotNegative("SelfRegularization.Text", Text);
        NotNegative("SelfRegularization.Image", Image);
        NotNegative("SelfRegularization.Logits", Logits);
    }

    static void NotNegative(string name, double value)
    {
        if (!(value >= 0) || !double.IsFinite(value))
            throw new InvalidSettingException(name, "must be a finite number, zero or more", value);
    }
}

/// <summary>One training step's loss under <see cref="SelfRegularizer"/>: the total and each term before its weight.</summary>
/// <param name="Logits">The prompted logits [batch, classes].</param>
/// <param name="Total">Cross-entropy plus the weighted terms: what is minimised.</param>
/// <param name="CrossEntropy">Mean cross-entropy of the prompted logits.</param>
/// <param name="Text">Mean |prompted − frozen| over the normalised text features [classes, embed].</param>
/// <param name="Image">Mean |prompted − frozen| over the normalised image features [batch, embed].</param>
/// <param name="LogitsKl">KL(zero-shot ‖ prompted) of the class distributions, summed and divided by batch × classes.</param>
public sealed record SelfRegularizedLoss(Tensor Logits, Tensor Total, Tensor CrossEntropy, Tensor Text, Tensor Image, Tensor LogitsKl);

/// <summary>
/// PromptSRC's training loss, as the authors' <c>trainers/promptsrc.py</c> computes it: cross-entropy of the prompted
/// logits plus three terms that keep the prompted model close to frozen CLIP. Text: L1 between the normalised prompted
/// text features and frozen CLIP's, the latter the normalised mean of its unnormalised features over the 60 templates
/// of <see cref="PromptTemplates.PromptSrc"/>. Image: L1 between the normalised prompted and frozen image features.
/// Logits: KL(zero-shot ‖ prompted) with the zero-shot logits from the frozen image features and the frozen text
/// features, summed over the batch and divided by its number of logits (their <c>kl_div(log_target=True,
/// reduction="sum") / numel</c>). The frozen text features depend only on the class names: they are computed once,
/// when this is created; the frozen image features take one extra forward pass per step, without gradients.
/// </summary>
/// <remarks>
/// The prompts stay the method's own (<see cref="LayerPrompts"/> through the learner): this only adds terms to the
/// loss. Frozen CLIP is the same backbone without prompts, as the authors' separate zero-shot copy holds the same
/// weights.
/// </remarks>
public sealed class SelfRegularizer : IDisposable
{
    readonly PromptedClip _model;
    readonly Tensor _frozenText;

    /// <summary>Computes frozen CLIP's text features of <paramref name="model"/>'s classes.</summary>
    /// <exception cref="UserInputException">The learner's text depends on the image (CoCoOp): its text features are per image.</exception>
    public SelfRegularizer(PromptedClip model, SelfRegularization weights, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        CheckLearner(model.Learner);
        weights.Validate();
        _model = model;
        Weights = weights;
        using var zeroShot = PromptLearners.Create(PromptConfig.ZeroShot(), model.Clip, model.Tokenizer, seed: 0);
        using var frozen = new PromptedClip(model.Clip, zeroShot, model.Tokenizer, model.ClassNames, PromptTemplates.PromptSrc);
        _frozenText = frozen.FixedTextFeatures(PromptedClip.DefaultTextBatchSize, null, cancellation, normalizeEachTemplate: false);
        _frozenText.DetachFromDisposeScope();
    }

    /// <summary>Refuses a learner whose text depends on the image (CoCoOp): the terms need text features shared by the batch.</summary>
    /// <exception cref="UserInputException">The learner conditions its text on each image.</exception>
    public static void CheckLearner(PromptLearner learner)
    {
        if (learner.ConditionsOnImage)
            throw new UserInputException(
                $"{PromptMethods.Name(learner.Config.Method)} conditions its text on each image: the self-regularising terms need text features shared by the batch");
    }

    /// <summary>The terms' weights.</summary>
    public SelfRegularization Weights { get; }

    /// <summary>Frozen CLIP's normalised text features of the classes [classes, embed], fp32.</summary>
    public Tensor FrozenTextFeatures => _frozenText;

    /// <summary>The loss of a batch of normalised images <paramref name="pixels"/> with <paramref name="labels"/>, and its terms.</summary>
    public SelfRegularizedLoss Loss(Tensor pixels, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var clip = _model.Clip;
        var image = ClipModel.Normalize(_model.ImageFeatures(pixels));
        var text = ClipModel.Normalize(_model.TextFeatures());
        var logitScale = clip.LogitScale.exp().to(ScalarType.Float32);
        var logits = logitScale * image.matmul(text.t());
        Tensor frozenImage, zeroShotLogits;
        using (no_grad())
        {
            frozenImage = ClipModel.Normalize(clip.EncodeImage(pixels));
            zeroShotLogits = logitScale * frozenImage.matmul(_frozenText.t());
        }

        var crossEntropy = nn.functional.cross_entropy(logits, labels);
        var textL1 = nn.functional.l1_loss(text, _frozenText);
        var imageL1 = nn.functional.l1_loss(image, frozenImage);
        var target = zeroShotLogits.log_softmax(1);
        var logitsKl = (target.exp() * (target - logits.log_softmax(1))).sum() / logits.numel();
        // In the authors' order: cross-entropy + (logits + text + image).
        var total = crossEntropy + (logitsKl * Weights.Logits + textL1 * Weights.Text + imageL1 * Weights.Image);
        return new SelfRegularizedLoss(
            logits.MoveToOuterDisposeScope(), total.MoveToOuterDisposeScope(), crossEntropy.MoveToOuterDisposeScope(),
            textL1.MoveToOuterDisposeScope(), imageL1.MoveToOuterDisposeScope(), logitsKl.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public void Dispose() => _frozenText.Dispose();
}
