namespace Maple.Training;

/// <summary>How the learning rate moves over epochs.</summary>
public enum ScheduleKind
{
    /// <summary>Cosine annealing from the base rate over all epochs.</summary>
    Cosine,

    /// <summary>The base rate throughout.</summary>
    Constant,
}

/// <summary>
/// The learning rate of each epoch, stepped per epoch as Dassl's ConstantWarmupScheduler around
/// CosineAnnealingLR does: the first <see cref="WarmupEpochs"/> epochs run at <see cref="WarmupLr"/>, then
/// epoch e uses base·(1 + cos(π·(e − warm-up)/E))/2 with E the number of epochs.
/// </summary>
/// <param name="BaseLr">The base learning rate.</param>
/// <param name="Epochs">The number of epochs (E).</param>
/// <param name="Kind">Cosine or constant after the warm-up.</param>
/// <param name="WarmupEpochs">Epochs at the constant warm-up rate.</param>
/// <param name="WarmupLr">The warm-up rate.</param>
public sealed record LearningRateSchedule(double BaseLr, int Epochs, ScheduleKind Kind = ScheduleKind.Cosine, int WarmupEpochs = 1, double WarmupLr = 1e-5)
{
    /// <summary>The rate during epoch <paramref name="epoch"/> (0-based).</summary>
    public double At(int epoch)
    {
        if (epoch < WarmupEpochs)
            return WarmupLr;
        return Kind == ScheduleKind.Constant
            ? BaseLr
            : BaseLr * (1 + Math.Cos(Math.PI * (epoch - WarmupEpochs) / Epochs)) / 2;
    }
}
