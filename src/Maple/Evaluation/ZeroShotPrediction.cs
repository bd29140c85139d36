namespace Maple.Evaluation;

/// <summary>What zero-shot CLIP makes of one image.</summary>
/// <param name="Path">The image file, or null for an image given as pixels.</param>
/// <param name="Logits">exp(logit_scale) × cosine with each class's text features, in class order.</param>
/// <param name="Probabilities">Softmax of <paramref name="Logits"/>.</param>
/// <param name="Top">The most probable classes, best first (ties: the lower index first).</param>
public sealed record ZeroShotPrediction(string? Path, float[] Logits, float[] Probabilities, IReadOnlyList<ClassScore> Top);
