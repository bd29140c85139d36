namespace Maple.Evaluation.Ood;

/// <summary>Which OOD score to compute, and its settings.</summary>
/// <param name="Score">The score.</param>
/// <param name="Temperature">
/// T: divides the cosines before the softmax for MCM and GL-MCM, and the logits for the energy; unused by
/// max-logit. The papers' default is 1.
/// </param>
/// <param name="Lambda">GL-MCM's weight of the local term (0.5 by default); unused by the other scores.</param>
public sealed record OodScoreOptions(OodScore Score = OodScore.Mcm, double Temperature = 1, double Lambda = 0.5)
{
    /// <summary>Whether the score needs the per-patch (local) features.</summary>
    public bool NeedsLocalFeatures => Score == OodScore.GlMcm;

    /// <summary>Checks the values; an error is an <see cref="InvalidSettingException"/> naming the property.</summary>
    public void Validate()
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new InvalidSettingException(nameof(Temperature), "must be a positive finite number", Temperature);
        if (!(Lambda >= 0) || double.IsInfinity(Lambda))
            throw new InvalidSettingException(nameof(Lambda), "must be a finite number, zero or more", Lambda);
    }
}
