using Maple.Evaluation;

namespace Maple.Tests.Evaluation;

/// <summary>Top-k accuracy of an evaluation's logits, against counts made by hand.</summary>
public sealed class TopKAccuracyTests
{
    [Fact]
    public void ATrueClassCountsWhenFewerThanKClassesScoreHigher()
    {
        // 6 classes. Rank of the true class = classes scored strictly higher:
        // image 0: label 0, top-1 (rank 0); image 1: label 5, rank 5; image 2: label 2, rank 4;
        // image 3: label 1, tied with three others at the top (rank 0); image 4: label 3, rank 2.
        float[,] logits =
        {
            { 9, 1, 2, 3, 4, 5 },
            { 9, 8, 7, 6, 5, 1 },
            { 5, 6, 1, 7, 8, 0 },
            { 3, 3, 3, 3, 0, 0 },
            { 1, 9, 2, 3, 8, 0 },
        };
        int[] labels = [0, 5, 2, 1, 3];
        var result = new EvaluationResult(logits, labels, [0, 0, 4, 0, 1], ClassificationMetrics.Compute(labels, [0, 0, 4, 0, 1], 6));

        Assert.Equal(2.0 / 5, result.TopKAccuracy(1)); // images 0 and 3 (the tie counts in its favour)
        Assert.Equal(2.0 / 5, result.TopKAccuracy(2));
        Assert.Equal(3.0 / 5, result.TopKAccuracy(3)); // + image 4
        Assert.Equal(4.0 / 5, result.Top5Accuracy); // + image 2 (rank 4), not image 1 (rank 5)
        Assert.Equal(1.0, result.TopKAccuracy(6));
    }
}
