using System.Globalization;
using System.Text.RegularExpressions;
using Maple.Clip.Safetensors;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// The state at the end of an epoch: the prompts, the optimizer's state (as <c>optimizer.&lt;key&gt;</c>, e.g.
/// SGD's <c>optimizer.momentum.&lt;name&gt;</c>), the Gaussian prompt aggregate when the run has one (as
/// <c>gpa.&lt;name&gt;</c>, see <see cref="PromptAggregate"/>) and the run's metadata. With the data order and augmentation
/// derived from seed and epoch, this is everything a resumed run needs to end where an uninterrupted
/// one would.
/// </summary>
public static partial class TrainingCheckpoint
{
    const string OptimizerPrefix = "optimizer.";

    /// <summary>The checkpoint file of epoch <paramref name="epoch"/> (0-based) in <paramref name="folder"/>.</summary>
    public static string PathFor(string folder, int epoch) =>
        Path.Combine(FolderOf(folder), $"epoch-{epoch + 1:D3}.safetensors");

    /// <summary>Whether a checkpoint's tensor <paramref name="name"/> is training state (momentum, prompt aggregate) rather than a prompt.</summary>
    public static bool IsTrainingState(string name) =>
        name.StartsWith("optimizer.", StringComparison.Ordinal) || name.StartsWith(PromptAggregate.Prefix, StringComparison.Ordinal);

    /// <summary>Writes the state after epoch <paramref name="epoch"/>, atomically.</summary>
    public static void Save(string folder, int epoch, PromptLearner learner, IPromptOptimizer optimizer, IReadOnlyDictionary<string, string> metadata,
        PromptAggregate? aggregate = null)
    {
        var tensors = learner.StateDict().Concat(optimizer.State.Select(b => KeyValuePair.Create(OptimizerPrefix + b.Key, b.Value)))
            .Concat(aggregate?.StateDict() ?? []);
        var withEpoch = new Dictionary<string, string>(metadata) { ["epoch"] = (epoch + 1).ToString(CultureInfo.InvariantCulture) };
        SafetensorsWriter.Write(PathFor(folder, epoch), tensors, withEpoch);
    }

    /// <summary>The folder holding the checkpoints of the run in <paramref name="folder"/>.</summary>
    public static string FolderOf(string folder) => Path.Combine(folder, "checkpoints");

    /// <summary>Every epoch checkpoint in <paramref name="folder"/>, latest first: its path and the number of epochs it covers.</summary>
    public static IReadOnlyList<(string Path, int EpochsDone)> All(string folder)
    {
        var directory = FolderOf(folder);
        if (!Directory.Exists(directory))
            return [];
        return Directory.GetFiles(directory, "epoch-*.safetensors")
            .Select(p => (Path: p, Match: EpochFile().Match(Path.GetFileName(p))))
            .Where(x => x.Match.Success && int.TryParse(x.Match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(x => (x.Path, EpochsDone: int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture)))
            .OrderByDescending(x => x.EpochsDone)
            .ToList();
    }

    /// <summary>The latest checkpoint in <paramref name="folder"/> (of any epoch): its path and the number of epochs it covers.</summary>
    public static (string Path, int EpochsDone)? Latest(string folder) =>
        All(folder).Cast<(string, int)?>().FirstOrDefault();

    /// <summary>The metadata of the checkpoint at <paramref name="path"/>, without reading its tensors.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.Metadata;
    }

    /// <summary>Restores prompts, optimizer state and, when given, the prompt aggregate from <paramref name="path"/>; returns its metadata.</summary>
    public static IReadOnlyDictionary<string, string> Restore(string path, PromptLearner learner, IPromptOptimizer optimizer, PromptAggregate? aggregate = null)
    {
        using var file = SafetensorsFile.Open(path);
        var tensors = file.ReadAll();
        try
        {
            learner.LoadStateDict(tensors.Where(t => !IsTrainingState(t.Key)).ToDictionary(), path);
            try
            {
                optimizer.LoadState(tensors.Where(t => t.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                    .ToDictionary(t => t.Key[OptimizerPrefix.Length..], t => t.Value));
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{path}: {ex.Message}", ex);
            }
            aggregate?.Load(tensors, learner, path);
            return file.Metadata;
        }
        finally
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
        }
    }

    [GeneratedRegex(@"^epoch-(\d+)\.safetensors$")]
    private static partial Regex EpochFile();
}
