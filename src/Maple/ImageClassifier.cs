using Maple.Clip;
using Maple.Evaluation;
using Maple.Evaluation.Ood;
using Maple.Imaging;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple;

/// <summary>
/// An image classifier: a frozen CLIP with prompts (learned ones, or zero-shot CLIP's hand-written ones) and a list
/// of classes. Image files go in, class probabilities come out; decoding, resizing, normalisation and every tensor
/// stay inside. The text features are computed once, when the classifier is made (CoCoOp computes them per image,
/// as its text depends on the image).
/// </summary>
/// <remarks>
/// Made by <see cref="ClipBackbone.ZeroShot"/>, <see cref="ClipBackbone.LoadClassifier"/> and
/// <see cref="TrainedPrompts.ToClassifier"/>. <see cref="Prompted"/> is the layer below (the backbone, the prompt
/// learner and the class prompts) for anything this class does not offer. One classifier serves one thread at a time.
/// </remarks>
public sealed class ImageClassifier : IDisposable
{
    readonly PromptLearner _learner;
    readonly FeatureExtractor _images;
    readonly Tensor? _textFeatures;

    /// <summary>Builds the classifier and computes its text features; takes ownership of <paramref name="learner"/>.</summary>
    /// <param name="images">The backbone's encoders and preprocessing.</param>
    /// <param name="learner">The prompts.</param>
    /// <param name="classNames">The classes; underscores become spaces in the prompts.</param>
    /// <param name="templates">Zero-shot CLIP's templates (ensembled when several); null for the learner's own.</param>
    /// <param name="textBatchSize">Prompts per forward pass of the text encoder, for hand-written prompts.</param>
    /// <param name="promptsDone">Told the number of hand-written prompts encoded so far, after every batch.</param>
    /// <param name="cancellation">Checked between batches of hand-written prompts.</param>
    /// <param name="readout">MMRL prompts: which of their logits classify (<see cref="MmrlReadout"/>); ignored for other methods.</param>
    /// <exception cref="UserInputException">No class, a blank class name, or templates that do not fit (see <see cref="PromptedClip"/>).</exception>
    internal ImageClassifier(FeatureExtractor images, PromptLearner learner, IReadOnlyList<string> classNames, IReadOnlyList<string>? templates,
        int textBatchSize = PromptedClip.DefaultTextBatchSize, Action<int>? promptsDone = null, CancellationToken cancellation = default,
        MmrlReadout readout = MmrlReadout.Fused)
    {
        _learner = learner;
        try
        {
            if (classNames.Any(string.IsNullOrWhiteSpace))
                throw new UserInputException("a class name is blank");
            _images = images;
            Prompted = new PromptedClip(images.Model, learner, images.Tokenizer, classNames.ToArray(), templates) { Readout = readout };
            _textFeatures = ComputeTextFeatures(Prompted, textBatchSize, promptsDone, cancellation);
        }
        catch
        {
            Prompted?.Dispose();
            learner.Dispose();
            throw;
        }
    }

    /// <summary>The backbone, the prompts and the class prompts: the lower layer, for researchers.</summary>
    public PromptedClip Prompted { get; }

    /// <summary>The classes: class i is <c>ClassNames[i]</c>.</summary>
    public IReadOnlyList<string> ClassNames => Prompted.ClassNames;

    /// <summary>The method of the prompts (<see cref="PromptMethod.ZeroShot"/> for hand-written ones).</summary>
    public PromptMethod Method => _learner.Config.Method;

    /// <summary>MMRL prompts: which of their logits classify (see <see cref="ClipBackbone.LoadClassifier"/>); other methods have one kind.</summary>
    public MmrlReadout Readout => Prompted.Readout;

    /// <summary>
    /// The classifier's weights: one L2-normalised fp32 row [classes, embed] per class (for hand-written prompts, the
    /// mean over the templates, normalised again); null for CoCoOp, whose text depends on the image. Owned by this object.
    /// </summary>
    public Tensor? TextFeatures => _textFeatures;

    /// <summary>The preprocessing of image files: the model's image size and pixel normalisation.</summary>
    public EvalTransform Transform => _images.Transform;

    /// <summary>The <paramref name="top"/> most probable classes of an image file, best first.</summary>
    /// <param name="imagePath">The image (PNG, JPEG, BMP, GIF, WebP, ...).</param>
    /// <param name="top">How many classes to return (at most all of them).</param>
    /// <exception cref="ImageDecodeException">The file cannot be read or decoded (the message names it).</exception>
    public IReadOnlyList<ClassScore> Predict(string imagePath, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        using var scope = NewDisposeScope();
        return ZeroShotPrediction.FromLogits(Logits(Transform.Load(imagePath).unsqueeze(0)), [imagePath], ClassNames, top)[0].Top;
    }

    /// <summary>The <paramref name="top"/> most probable classes of a decoded image (e.g. from <see cref="ImageDecoder.Decode(byte[], string)"/>), best first.</summary>
    /// <param name="image">The image, any size: it is resized and cropped as CLIP's preprocessing does.</param>
    /// <param name="top">How many classes to return (at most all of them).</param>
    public IReadOnlyList<ClassScore> Predict(RgbImage image, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        using var scope = NewDisposeScope();
        var pixels = tensor(Transform.ToChw(image), [1, 3, Transform.ImageSize, Transform.ImageSize], ScalarType.Float32);
        return ZeroShotPrediction.FromLogits(Logits(pixels), null, ClassNames, top)[0].Top;
    }

    /// <summary>Classifies image files a batch at a time (decoded ahead on a background thread), in the order given.</summary>
    /// <param name="imagePaths">The files.</param>
    /// <param name="top">How many classes to list per image (at most all of them).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="loaderThreads">Threads decoding images.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <returns>One prediction per file, with all logits and probabilities and the top classes.</returns>
    /// <exception cref="ImageDecodeException">A file cannot be read or decoded (the message names it).</exception>
    public IReadOnlyList<ZeroShotPrediction> Predict(IReadOnlyList<string> imagePaths, int top = 5, int batchSize = 32, int loaderThreads = 1,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var results = new List<ZeroShotPrediction>(imagePaths.Count);
        _images.ForEachImageBatch(imagePaths, batchSize, loaderThreads, progress, cancellation, (start, pixels) =>
            results.AddRange(ZeroShotPrediction.FromLogits(Logits(pixels), imagePaths.Skip(start).Take((int)pixels.shape[0]).ToList(), ClassNames, top)));
        return results;
    }

    /// <summary>
    /// The OOD score of an image file against the classes (higher = more in-distribution): MCM unless
    /// <paramref name="options"/> names another (GL-MCM, energy, max-logit).
    /// </summary>
    /// <exception cref="ImageDecodeException">The file cannot be read or decoded (the message names it).</exception>
    public double OodScore(string imagePath, OodScoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        using var scope = NewDisposeScope();
        return OodScores(Transform.Load(imagePath).unsqueeze(0), options)[0];
    }

    /// <summary>The OOD scores of image files, in the order given (see <see cref="OodScore"/>).</summary>
    /// <param name="imagePaths">The files.</param>
    /// <param name="options">The score and its settings; MCM with temperature 1 when null.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <exception cref="ImageDecodeException">A file cannot be read or decoded (the message names it).</exception>
    public double[] OodScores(IReadOnlyList<string> imagePaths, OodScoreOptions? options = null, int batchSize = 32,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        var scores = new double[imagePaths.Count];
        _images.ForEachImageBatch(imagePaths, batchSize, loaderThreads: 1, progress, cancellation,
            (start, pixels) => OodScores(pixels, options).CopyTo(scores, start));
        return scores;
    }

    /// <summary>The OOD scores of already normalised pixels [batch, 3, size, size] (see <see cref="OodScore"/>).</summary>
    public double[] OodScores(Tensor pixels, OodScoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        options ??= new OodScoreOptions();
        options.Validate();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (cosines, local) = Prompted.Cosines(pixels, _textFeatures, options.NeedsLocalFeatures);
        return OodScoring.Compute(options, cosines, local, Prompted.Clip.LogitScale).data<double>().ToArray();
    }

    /// <summary>Logits [batch, classes] (exp(logit_scale) × cosine, fp32) of already normalised pixels [batch, 3, size, size].</summary>
    public Tensor Logits(Tensor pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var logits = _textFeatures is null ? Prompted.Logits(pixels) : Prompted.Logits(pixels, _textFeatures);
        return logits.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _textFeatures?.Dispose();
        Prompted.Dispose();
        _learner.Dispose();
    }

    /// <summary>
    /// L2-normalised fp32 text features [classes, embed]: hand-written prompts ensembled over their templates, or the
    /// learned prompts' features; null for prompts that depend on the image (CoCoOp).
    /// </summary>
    static Tensor? ComputeTextFeatures(PromptedClip prompted, int textBatchSize, Action<int>? promptsDone, CancellationToken cancellation)
    {
        if (prompted.Learner.ConditionsOnImage)
            return null;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var features = prompted.Learner.TextPrompts() is null
            ? prompted.FixedTextFeatures(textBatchSize, promptsDone, cancellation)
            : ClipModel.Normalize(prompted.TextFeatures());
        return features.DetachFromDisposeScope();
    }
}
