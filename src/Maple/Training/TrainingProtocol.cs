namespace Maple.Training;

/// <summary>
/// What an evaluation protocol trains, which decides the config a method's authors run it with
/// (<see cref="MethodPreset.Get"/>): PromptSRC, for example, trains few-shot for 50 epochs and cross-dataset at depth 3.
/// </summary>
public enum TrainingProtocol
{
    /// <summary>Base-to-novel generalisation: the base half of a dataset's classes, K shots each.</summary>
    BaseToNovel,

    /// <summary>Few-shot learning: every class of a dataset, K shots each (OOD detection trains its ID set this way too).</summary>
    FewShot,

    /// <summary>
    /// Cross-dataset transfer and domain generalisation: every class of the source (ImageNet), K shots each, for prompts
    /// scored on other datasets.
    /// </summary>
    CrossDataset,
}

/// <summary>The protocols' names on the command line and in reports.</summary>
public static class TrainingProtocols
{
    /// <summary>Every protocol by its name: <c>base2novel</c>, <c>few-shot</c>, <c>cross-dataset</c>.</summary>
    public static IReadOnlyDictionary<string, TrainingProtocol> ByName { get; } = new Dictionary<string, TrainingProtocol>(StringComparer.OrdinalIgnoreCase)
    {
        ["base2novel"] = TrainingProtocol.BaseToNovel,
        ["few-shot"] = TrainingProtocol.FewShot,
        ["cross-dataset"] = TrainingProtocol.CrossDataset,
    };

    /// <summary>The protocol's name (<see cref="ByName"/>).</summary>
    public static string Name(TrainingProtocol protocol) => ByName.First(p => p.Value == protocol).Key;

    /// <summary>The protocol named <paramref name="name"/>.</summary>
    /// <exception cref="UserInputException">Not a protocol's name.</exception>
    public static TrainingProtocol Parse(string name) =>
        ByName.TryGetValue(name.Trim(), out var protocol)
            ? protocol
            : throw new UserInputException($"unknown protocol '{name}': expected one of {string.Join(", ", ByName.Keys)}");

    /// <summary>The classes the protocol trains on: the base half for base-to-novel, all of them otherwise.</summary>
    public static Data.Subset TrainedClasses(TrainingProtocol protocol) =>
        protocol == TrainingProtocol.BaseToNovel ? Data.Subset.Base : Data.Subset.All;
}
