namespace Maple.Training;

/// <summary>Optimisation settings of a run. Defaults are MaPLe's base-to-novel recipe.</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Images per step (the last partial batch of an epoch is dropped, as Dassl does).</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Base learning rate.</summary>
    public double LearningRate { get; init; } = 0.0035;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 weight decay.</summary>
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>Cosine or constant after the warm-up.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>Epochs at the constant warm-up rate.</summary>
    public int WarmupEpochs { get; init; } = 1;

    /// <summary>The warm-up rate.</summary>
    public double WarmupLearningRate { get; init; } = 1e-5;

    /// <summary>Seeds prompt initialisation, data order and augmentation.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Random resized crop + flip; otherwise the evaluation transform.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>Shuffle the data every epoch; otherwise keep the dataset's order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Threads that decode and augment images ahead of the model.</summary>
    public int LoaderThreads { get; init; } = 1;

    /// <summary>Fail on an unreadable image; otherwise it is reported by path, left out and counted.</summary>
    public bool Strict { get; init; }

    /// <summary>Batches prepared ahead of the one being computed.</summary>
    public int PrefetchBatches { get; init; } = 2;

    /// <summary>
    /// λ of the LoCoOp regulariser (<see cref="LoCoOpRegularizer"/>): 0 (the default) turns it off; LoCoOp
    /// uses 0.25. It needs the local image features, so a step costs a little more.
    /// </summary>
    public double LoCoOpLambda { get; init; }

    /// <summary>LoCoOp's top-k; null picks <see cref="LoCoOpRegularizer.DefaultTopK"/> for the class count.</summary>
    public int? LoCoOpTopK { get; init; }

    /// <summary>The learning-rate schedule these options describe.</summary>
    public LearningRateSchedule LearningRateSchedule =>
        new(LearningRate, Epochs, Schedule, WarmupEpochs, WarmupLearningRate);

    /// <summary>Checks the values; errors name the option.</summary>
    public void Validate()
    {
        if (Epochs < 1)
            throw new ArgumentException($"--epochs must be at least 1 (got {Epochs})");
        if (BatchSize < 1)
            throw new ArgumentException($"--batch-size must be at least 1 (got {BatchSize})");
        if (LearningRate <= 0 || double.IsNaN(LearningRate))
            throw new ArgumentException($"--lr must be positive (got {LearningRate})");
        if (WarmupEpochs < 0)
            throw new ArgumentException($"--warmup-epochs must not be negative (got {WarmupEpochs})");
        if (!(LoCoOpLambda >= 0) || double.IsInfinity(LoCoOpLambda))
            throw new ArgumentException($"--locoop-lambda must be zero or positive (got {LoCoOpLambda})");
        if (LoCoOpTopK is < 1)
            throw new ArgumentException($"--locoop-top-k must be at least 1 (got {LoCoOpTopK})");
        if (LoaderThreads < 1 || PrefetchBatches < 1)
            throw new ArgumentException("loader threads and prefetch batches must be at least 1");
    }
}
