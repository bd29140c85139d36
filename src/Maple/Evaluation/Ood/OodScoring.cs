using static TorchSharp.torch;

namespace Maple.Evaluation.Ood;

/// <summary>
/// The OOD scores as tensor functions. Every score is computed in fp64 (so that saturating softmaxes tie
/// less often) and follows one convention: higher means more in-distribution.
/// </summary>
public static class OodScoring
{
    /// <summary>MCM of cosines [batch, classes]: max over classes of softmax(cosine / T); [batch].</summary>
    public static Tensor Mcm(Tensor cosines, double temperature = 1)
    {
        using var scope = NewDisposeScope();
        var probabilities = (cosines.to(ScalarType.Float64) / temperature).softmax(-1);
        return probabilities.amax([-1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Local MCM of local cosines [batch, patches, classes]: the softmax over classes at each patch, and its
    /// maximum over patches and classes; [batch].
    /// </summary>
    public static Tensor LocalMcm(Tensor localCosines, double temperature = 1)
    {
        using var scope = NewDisposeScope();
        var probabilities = (localCosines.to(ScalarType.Float64) / temperature).softmax(-1);
        return probabilities.amax([-2, -1]).MoveToOuterDisposeScope();
    }

    /// <summary>GL-MCM: <see cref="Mcm"/> + λ · <see cref="LocalMcm"/>; [batch].</summary>
    public static Tensor GlMcm(Tensor cosines, Tensor localCosines, double temperature = 1, double lambda = 0.5)
    {
        using var scope = NewDisposeScope();
        return (Mcm(cosines, temperature) + lambda * LocalMcm(localCosines, temperature)).MoveToOuterDisposeScope();
    }

    /// <summary>Negative free energy of logits [batch, classes]: T · logsumexp(logits / T); [batch].</summary>
    public static Tensor Energy(Tensor logits, double temperature = 1)
    {
        using var scope = NewDisposeScope();
        return (temperature * (logits.to(ScalarType.Float64) / temperature).logsumexp(-1, false)).MoveToOuterDisposeScope();
    }

    /// <summary>The largest logit of logits [batch, classes]; [batch].</summary>
    public static Tensor MaxLogit(Tensor logits)
    {
        using var scope = NewDisposeScope();
        return logits.to(ScalarType.Float64).amax([-1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The score <paramref name="options"/> names, from global cosines [batch, classes], local cosines
    /// [batch, patches, classes] (needed by GL-MCM only) and the model's logit scale (log of the multiplier
    /// that turns cosines into logits, needed by the energy and max-logit scores); [batch] fp64.
    /// </summary>
    public static Tensor Compute(OodScoreOptions options, Tensor cosines, Tensor? localCosines, Tensor logitScale)
    {
        using var scope = NewDisposeScope();
        var score = options.Score switch
        {
            OodScore.Mcm => Mcm(cosines, options.Temperature),
            OodScore.GlMcm => GlMcm(cosines, localCosines ?? throw new ArgumentException("GL-MCM needs local cosines", nameof(localCosines)),
                options.Temperature, options.Lambda),
            OodScore.Energy => Energy(Logits(cosines, logitScale), options.Temperature),
            OodScore.MaxLogit => MaxLogit(Logits(cosines, logitScale)),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
        return score.MoveToOuterDisposeScope();
    }

    static Tensor Logits(Tensor cosines, Tensor logitScale) =>
        logitScale.to(ScalarType.Float64).exp() * cosines.to(ScalarType.Float64);
}
