namespace Maple.Evaluation.Ood;

/// <summary>How an image's OOD score is computed from its similarities to the in-distribution classes.</summary>
public enum OodScore
{
    /// <summary>Maximum Concept Matching (Ming et al., NeurIPS 2022): max over classes of softmax(cosine / T).</summary>
    Mcm,

    /// <summary>
    /// Global-local MCM (Miyai et al., 2023): MCM plus λ times the local MCM, the maximum over patches and
    /// classes of softmax(local cosine / T).
    /// </summary>
    GlMcm,

    /// <summary>Negative free energy: T · logsumexp(logits / T) over the logits exp(logit_scale) · cosine.</summary>
    Energy,

    /// <summary>The largest logit exp(logit_scale) · cosine.</summary>
    MaxLogit,
}

/// <summary>Names of the scores on the command line and in results.</summary>
public static class OodScores
{
    static readonly Dictionary<string, OodScore> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mcm"] = OodScore.Mcm,
        ["glmcm"] = OodScore.GlMcm,
        ["energy"] = OodScore.Energy,
        ["maxlogit"] = OodScore.MaxLogit,
    };

    /// <summary>The command-line name, e.g. <c>glmcm</c>.</summary>
    public static string Name(OodScore score) => ByName.First(p => p.Value == score).Key;

    /// <summary>Parses a command-line name.</summary>
    public static OodScore Parse(string name) => ByName.TryGetValue(name.Trim(), out var score)
        ? score
        : throw new UserInputException($"unknown OOD score '{name}': expected one of {string.Join(", ", ByName.Keys)}");

    /// <summary>All command-line names.</summary>
    public static IEnumerable<string> Names => ByName.Keys;
}
