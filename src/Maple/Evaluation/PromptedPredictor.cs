using Maple.Imaging;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Evaluation;

/// <summary>Classifies unlabelled image files with a prompted CLIP (learned prompts or zero-shot CLIP): what <c>maple predict</c> prints and writes.</summary>
public static class PromptedPredictor
{
    /// <summary>Classifies image files, decoded and transformed a batch at a time, in the order given.</summary>
    /// <param name="model">The classifier; its text features are computed once (per image for image-conditioned prompts).</param>
    /// <param name="imagePaths">The files.</param>
    /// <param name="top">How many classes to list per image (at most all of them).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="loaderThreads">Threads decoding images.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <exception cref="ImageDecodeException">A file cannot be read or decoded (the message names it).</exception>
    public static IReadOnlyList<ZeroShotPrediction> Classify(PromptedClip model, IReadOnlyList<string> imagePaths, int top = 5, int batchSize = 32,
        int loaderThreads = 1, IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var transform = new EvalTransform(model.Clip.Config.Vision.ImageSize, model.Clip.Normalization);
        var results = new List<ZeroShotPrediction>(imagePaths.Count);
        using var _ = no_grad();
        using var textFeatures = model.Learner.ConditionsOnImage ? null : model.TextFeatures().DetachFromDisposeScope();
        FeatureExtractor.ForEachImageBatch(transform, imagePaths, batchSize, loaderThreads, progress, cancellation, (start, pixels) =>
        {
            var logits = textFeatures is null ? model.Logits(pixels) : model.Logits(pixels, textFeatures);
            var paths = Enumerable.Range(start, (int)pixels.shape[0]).Select(i => imagePaths[i]).ToList();
            results.AddRange(ZeroShotPrediction.FromLogits(logits, paths, model.ClassNames, top));
        });
        return results;
    }
}
