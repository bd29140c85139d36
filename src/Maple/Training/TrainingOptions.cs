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

    /// <summary>The optimiser: SGD with <see cref="Momentum"/>, or AdamW (β 0.9, 0.999); both decay by <see cref="WeightDecay"/>.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>The smallest area fraction of the random resized crop (Dassl's RRCROP_SCALE lower bound; MMRL uses 0.5).</summary>
    public double CropMinScale { get; init; } = Imaging.RandomResizedCrop.Default.MinScale;

    /// <summary>MMRL only: λ, the weight of each cosine-consistency term with frozen CLIP (the authors' REG_WEIGHT).</summary>
    public double MmrlConsistencyWeight { get; init; } = 1.0;

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

    /// <summary>
    /// PromptSRC's self-regularising terms against frozen CLIP (<see cref="SelfRegularizer"/>), or null (the default)
    /// for cross-entropy alone. They need text features that do not depend on the image.
    /// </summary>
    public SelfRegularization? SelfRegularization { get; init; }

    /// <summary>
    /// PromptSRC's Gaussian prompt aggregation (<see cref="PromptAggregate"/>): the final prompts are the
    /// Gaussian-weighted sum of each epoch's; null (the default) keeps the last epoch's.
    /// </summary>
    public GaussianPromptAggregation? PromptAggregation { get; init; }

    /// <summary>The learning-rate schedule these options describe.</summary>
    public LearningRateSchedule LearningRateSchedule =>
        new(LearningRate, Epochs, Schedule, WarmupEpochs, WarmupLearningRate);

    /// <summary>Checks the values; an error is an <see cref="InvalidSettingException"/> naming the property.</summary>
    public void Validate()
    {
        AtLeast(nameof(Epochs), Epochs, 1);
        AtLeast(nameof(BatchSize), BatchSize, 1);
        Positive(nameof(LearningRate), LearningRate);
        NotNegative(nameof(Momentum), Momentum);
        NotNegative(nameof(WeightDecay), WeightDecay);
        AtLeast(nameof(WarmupEpochs), WarmupEpochs, 0);
        if (WarmupEpochs > 0)
            Positive(nameof(WarmupLearningRate), WarmupLearningRate);
        NotNegative(nameof(LoCoOpLambda), LoCoOpLambda);
        NotNegative(nameof(MmrlConsistencyWeight), MmrlConsistencyWeight);
        if (!(CropMinScale is > 0 and <= 1))
            throw new InvalidSettingException(nameof(CropMinScale), "must be above 0 and at most 1", CropMinScale);
        if (LoCoOpTopK is { } topK)
            AtLeast(nameof(LoCoOpTopK), topK, 1);
        SelfRegularization?.Validate();
        PromptAggregation?.Validate();
        if (SelfRegularization is not null && LoCoOpLambda > 0)
            throw new InvalidSettingException(nameof(LoCoOpLambda), "must be 0 when the self-regularising terms are on (one training loss at a time)", LoCoOpLambda);
        AtLeast(nameof(LoaderThreads), LoaderThreads, 1);
        AtLeast(nameof(PrefetchBatches), PrefetchBatches, 1);
    }

    static void AtLeast(string name, int value, int minimum)
    {
        if (value < minimum)
            throw new InvalidSettingException(name, $"must be at least {minimum}", value);
    }

    static void Positive(string name, double value)
    {
        if (!(value > 0) || !double.IsFinite(value))
            throw new InvalidSettingException(name, "must be a positive finite number", value);
    }

    static void NotNegative(string name, double value)
    {
        if (!(value >= 0) || !double.IsFinite(value))
            throw new InvalidSettingException(name, "must be a finite number, zero or more", value);
    }
}
