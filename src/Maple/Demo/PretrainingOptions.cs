namespace Maple.Demo;

/// <summary>Settings of contrastive pretraining.</summary>
public sealed record PretrainingOptions
{
    /// <summary>Optimiser steps.</summary>
    public int Steps { get; init; } = 600;

    /// <summary>Image–caption pairs per step (at most one per group, see <see cref="ContrastivePretraining"/>).</summary>
    public int BatchSize { get; init; } = 30;

    /// <summary>Peak AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW weight decay of the matrices (gains, biases, embeddings and the logit scale are not decayed).</summary>
    public double WeightDecay { get; init; } = 0.05;

    /// <summary>The logit scale's learning rate as a multiple of the others'.</summary>
    public double LogitScaleLearningRateFactor { get; init; } = 10;

    /// <summary>Steps of linear warm-up before the cosine decay.</summary>
    public int WarmupSteps { get; init; } = 50;

    /// <summary>Seeds the batches and the captions' templates.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>The largest exp(logit_scale) pretraining may reach (CLIP clamps at 100, the default).</summary>
    public double MaxLogitScale { get; init; } = 100;

    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        if (Steps < 1 || BatchSize < 2)
            throw new ArgumentException($"pretraining needs at least 1 step and 2 pairs a step (got {Steps} steps of {BatchSize})");
        if (LearningRate <= 0 || WeightDecay < 0 || WarmupSteps < 0)
            throw new ArgumentException("pretraining learning rate must be positive, weight decay and warm-up not negative");
        if (!(MaxLogitScale >= 1) || !double.IsFinite(MaxLogitScale))
            throw new ArgumentException($"the largest logit scale of pretraining must be a finite number of at least 1 (got {MaxLogitScale})");
    }
}
