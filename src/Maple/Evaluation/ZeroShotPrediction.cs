using static TorchSharp.torch;

namespace Maple.Evaluation;

/// <summary>What a classifier (zero-shot CLIP, or CLIP under learned prompts) makes of one image.</summary>
/// <param name="Path">The image file, or null for an image given as pixels.</param>
/// <param name="Logits">exp(logit_scale) × cosine with each class's text features, in class order.</param>
/// <param name="Probabilities">Softmax of <paramref name="Logits"/>.</param>
/// <param name="Top">The most probable classes, best first (ties: the lower index first).</param>
public sealed record ZeroShotPrediction(string? Path, float[] Logits, float[] Probabilities, IReadOnlyList<ClassScore> Top)
{
    /// <summary>One prediction per row of <paramref name="logits"/> [images, classes], with its <paramref name="top"/> best classes.</summary>
    internal static List<ZeroShotPrediction> FromLogits(Tensor logits, IReadOnlyList<string>? paths, IReadOnlyList<string> classNames, int top)
    {
        var classes = classNames.Count;
        var k = Math.Min(top, classes);
        var values = logits.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        // In fp64 so that each row's probabilities sum to 1 to within fp32 rounding.
        var probabilities = logits.to(ScalarType.Float64).softmax(-1).to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var results = new List<ZeroShotPrediction>();
        for (var i = 0; i < (int)logits.shape[0]; i++)
        {
            var rowLogits = values.AsSpan(i * classes, classes).ToArray();
            var rowProbabilities = probabilities.AsSpan(i * classes, classes).ToArray();
            var best = Enumerable.Range(0, classes).OrderByDescending(c => rowProbabilities[c])
                .Take(k).Select(c => new ClassScore(c, classNames[c], rowProbabilities[c])).ToList();
            results.Add(new ZeroShotPrediction(paths?[i], rowLogits, rowProbabilities, best));
        }
        return results;
    }
}
