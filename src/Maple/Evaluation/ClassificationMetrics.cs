namespace Maple.Evaluation;

/// <summary>Accuracy, macro-F1, per-class accuracy and the confusion matrix of a set of predictions.</summary>
/// <param name="Count">Number of images.</param>
/// <param name="Accuracy">Top-1 accuracy in [0, 1].</param>
/// <param name="MacroF1">Unweighted mean of the per-class F1 scores (classes without images or predictions score 0 F1 only when they have images).</param>
/// <param name="PerClassAccuracy">Recall of each class (NaN for a class without images).</param>
/// <param name="ClassCounts">Images per class.</param>
/// <param name="Confusion">Confusion[true, predicted] counts.</param>
public sealed record ClassificationMetrics(int Count, double Accuracy, double MacroF1, double[] PerClassAccuracy, int[] ClassCounts, int[,] Confusion)
{
    /// <summary>Computes the metrics of <paramref name="predictions"/> against <paramref name="labels"/>.</summary>
    public static ClassificationMetrics Compute(IReadOnlyList<int> labels, IReadOnlyList<int> predictions, int classCount)
    {
        if (labels.Count != predictions.Count)
            throw new ArgumentException($"{labels.Count} labels but {predictions.Count} predictions");
        var confusion = new int[classCount, classCount];
        for (var i = 0; i < labels.Count; i++)
            confusion[labels[i], predictions[i]]++;

        var correct = 0;
        var perClass = new double[classCount];
        var counts = new int[classCount];
        var f1Sum = 0.0;
        var f1Classes = 0;
        for (var c = 0; c < classCount; c++)
        {
            var truePositives = confusion[c, c];
            correct += truePositives;
            var actual = 0;
            var predicted = 0;
            for (var k = 0; k < classCount; k++)
            {
                actual += confusion[c, k];
                predicted += confusion[k, c];
            }
            counts[c] = actual;
            perClass[c] = actual == 0 ? double.NaN : (double)truePositives / actual;
            // A class absent from both labels and predictions says nothing about the classifier: skip it,
            // as scikit-learn's macro average over the labels present does.
            if (actual == 0 && predicted == 0)
                continue;
            f1Sum += 2.0 * truePositives / (actual + predicted);
            f1Classes++;
        }
        var accuracy = labels.Count == 0 ? double.NaN : (double)correct / labels.Count;
        return new ClassificationMetrics(labels.Count, accuracy, f1Classes == 0 ? double.NaN : f1Sum / f1Classes, perClass, counts, confusion);
    }
}
