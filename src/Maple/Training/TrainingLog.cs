using System.Globalization;
using System.Text.Json;

namespace Maple.Training;

/// <summary>
/// The run's records: <c>train.jsonl</c> (one JSON object per step, for tools) and <c>train.log</c>
/// (timestamped lines for a person reading later). Both are appended as the run goes.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    readonly StreamWriter _steps;
    readonly StreamWriter _text;

    /// <summary>The readable log's file name in a run folder.</summary>
    public const string TextFileName = "train.log";

    /// <summary>
    /// Opens the logs in <paramref name="folder"/>. Step records of epochs at or after
    /// <paramref name="epochsDone"/> (left by a run killed part-way) are dropped: the run redoes them.
    /// </summary>
    public TrainingLog(string folder, int epochsDone)
    {
        var stepsPath = Path.Combine(folder, "train.jsonl");
        KeepSteps(stepsPath, epochsDone);
        _steps = new StreamWriter(stepsPath, append: true) { AutoFlush = true };
        _text = new StreamWriter(Path.Combine(folder, TextFileName), append: true) { AutoFlush = true };
    }

    /// <summary>Records a step.</summary>
    public void Step(TrainingProgress p)
    {
        _steps.WriteLine(JsonSerializer.Serialize(new
        {
            epoch = p.Epoch,
            step = p.Step,
            global_step = p.GlobalStep,
            lr = p.LearningRate,
            loss = p.Loss,
            accuracy = p.Accuracy,
            images_per_s = Math.Round(p.ImagesPerSecond, 3),
        }));
        if (p.Step % 20 == 0 || p.Step == p.StepsPerEpoch - 1)
            Line(string.Create(CultureInfo.InvariantCulture,
                $"epoch {p.Epoch + 1} step {p.Step + 1}/{p.StepsPerEpoch}: loss {p.Loss:F4}, accuracy {100 * p.Accuracy:F1}%, lr {p.LearningRate:G4}, {p.ImagesPerSecond:F2} images/s"));
    }

    /// <summary>Writes a timestamped line to <c>train.log</c>.</summary>
    public void Line(string text) =>
        _text.WriteLine($"{DateTime.Now:yyyy-MM-dd HH:mm:ss} {text}");

    static void KeepSteps(string path, int epochsDone)
    {
        if (!File.Exists(path))
            return;
        var kept = File.ReadAllLines(path).Where(line =>
        {
            try
            {
                using var record = JsonDocument.Parse(line);
                return record.RootElement.GetProperty("epoch").GetInt32() < epochsDone;
            }
            catch (JsonException)
            {
                return false; // a line cut short when the run was killed
            }
        });
        AtomicFile.WriteText(path, string.Concat(kept.Select(line => line + "\n")));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _steps.Dispose();
        _text.Dispose();
    }
}
