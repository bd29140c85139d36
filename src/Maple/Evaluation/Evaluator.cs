using System.Diagnostics;
using Maple.Data;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Evaluation;

/// <summary>Progress of an evaluation.</summary>
/// <param name="Done">Images scored so far.</param>
/// <param name="Total">Images in all.</param>
/// <param name="Correct">Top-1 hits so far.</param>
/// <param name="ImagesPerSecond">Throughput so far.</param>
public sealed record EvaluationProgress(int Done, int Total, int Correct, double ImagesPerSecond);

/// <summary>Logits of every image, in data order, and the metrics they give.</summary>
/// <param name="Logits">[images, classes] logits (exp(logit_scale) × cosine).</param>
/// <param name="Labels">True labels.</param>
/// <param name="Predictions">Top-1 prediction of each image.</param>
/// <param name="Metrics">Accuracy and the rest.</param>
public sealed record EvaluationResult(float[,] Logits, int[] Labels, int[] Predictions, ClassificationMetrics Metrics)
{
    /// <summary>Top-5 accuracy in [0, 1]: the share of images whose class is among their five highest logits.</summary>
    public double Top5Accuracy => TopKAccuracy(5);

    /// <summary>
    /// The share of images whose true class is among their <paramref name="k"/> highest logits (all of them when
    /// there are at most k classes). A tie with the true class counts in its favour: its rank is the number of
    /// classes scored strictly higher.
    /// </summary>
    public double TopKAccuracy(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var (images, classes) = (Logits.GetLength(0), Logits.GetLength(1));
        if (images == 0)
            return double.NaN;
        var hits = 0;
        for (var i = 0; i < images; i++)
        {
            var truth = Logits[i, Labels[i]];
            var higher = 0;
            for (var c = 0; c < classes; c++)
            {
                if (Logits[i, c] > truth)
                    higher++;
            }
            if (higher < k)
                hits++;
        }
        return (double)hits / images;
    }
}

/// <summary>
/// Scores a dataset with a prompted CLIP. The text features are computed once for the whole evaluation:
/// they depend only on the prompts and the class names (the reference recomputes them for every batch).
/// </summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="model"/> on <paramref name="data"/> with the evaluation transform.</summary>
    public static EvaluationResult Evaluate(PromptedClip model, ImageDataset data, int batchSize = 32, int loaderThreads = 1,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (data.Items.Count == 0)
            throw new UserInputException($"{data.Source}: no images to evaluate");
        var classes = model.ClassNames.Count;
        if (data.Items.Any(i => i.Label >= classes))
            throw new UserInputException($"{data.Source}: labels exceed the {classes} class names");

        var logits = new float[data.Items.Count, classes];
        var labels = data.Items.Select(i => i.Label).ToArray();
        var predictions = new int[labels.Length];
        var transform = new EvalTransform(model.Clip.Config.Vision.ImageSize, model.Clip.Normalization);

        using var _ = no_grad();
        using var textFeatures = model.Learner.ConditionsOnImage ? null : model.TextFeatures().DetachFromDisposeScope();
        using var loader = BatchLoader.InOrder(data.Items, batchSize, transform, loaderThreads);
        var clock = Stopwatch.StartNew();
        var (done, correct) = (0, 0);
        while (loader.Next() is { } batch)
        {
            using var images = batch.Images;
            using var batchLabels = batch.Labels;
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batchLogits = textFeatures is null ? model.Logits(images) : model.Logits(images, textFeatures);
            var values = batchLogits.to(ScalarType.Float32).cpu().data<float>().ToArray();
            var n = (int)batchLogits.shape[0];
            for (var i = 0; i < n; i++)
            {
                var best = 0;
                for (var c = 0; c < classes; c++)
                {
                    logits[done + i, c] = values[i * classes + c];
                    if (values[i * classes + c] > values[i * classes + best])
                        best = c;
                }
                predictions[done + i] = best;
                if (best == labels[done + i])
                    correct++;
            }
            done += n;
            progress?.Report(new EvaluationProgress(done, data.Items.Count, correct, done / clock.Elapsed.TotalSeconds));
        }

        return new EvaluationResult(logits, labels, predictions, ClassificationMetrics.Compute(labels, predictions, classes));
    }
}
