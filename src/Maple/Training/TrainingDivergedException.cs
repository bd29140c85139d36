using System.Globalization;

namespace Maple.Training;

/// <summary>
/// The loss became NaN or infinite: the learning rate (or another setting) is too high for this data.
/// The run stopped before writing anything non-finite; its last good checkpoint is kept.
/// </summary>
public sealed class TrainingDivergedException : UserInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="epoch">The epoch, counted from 1.</param>
    /// <param name="step">The step within the epoch, counted from 1.</param>
    /// <param name="loss">The loss (NaN or infinite).</param>
    /// <param name="fix">The advice that ends the message, e.g. "try a lower learning rate".</param>
    public TrainingDivergedException(int epoch, int step, double loss, string fix = "try a lower learning rate")
        : base(string.Create(CultureInfo.InvariantCulture, $"loss became {Name(loss)} at epoch {epoch}, step {step}; {fix}"))
    {
        Epoch = epoch;
        Step = step;
        Loss = loss;
    }

    /// <summary>The epoch, counted from 1.</summary>
    public int Epoch { get; }

    /// <summary>The step within the epoch, counted from 1.</summary>
    public int Step { get; }

    /// <summary>The non-finite loss.</summary>
    public double Loss { get; }

    /// <summary>The same error with other advice (a front end naming its own flag).</summary>
    public TrainingDivergedException WithFix(string fix) => new(Epoch, Step, Loss, fix);

    static string Name(double loss) => double.IsNaN(loss) ? "NaN" : "infinite";
}
