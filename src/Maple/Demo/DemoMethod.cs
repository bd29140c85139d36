using Maple.Evaluation.Ood;
using Maple.Training;

namespace Maple.Demo;

/// <summary>A method the demo runs: the name of its row, its preset as the demo adapts it, and the OOD scores it reports.</summary>
/// <param name="Name">The row's name ("MaPLe").</param>
/// <param name="Preset">The method's preset (from <see cref="MethodPreset"/>, adapted to the demo's small CLIP and budget).</param>
/// <param name="OodScores">The OOD scores reported for this method, by name; empty for none.</param>
public sealed record DemoMethod(string Name, MethodPreset Preset, IReadOnlyList<(string Name, OodScore Score)> OodScores)
{
    /// <summary>Whether the method learns prompts (zero-shot CLIP does not, and is scored once for all seeds).</summary>
    public bool Learns => Preset.Prompts.Method != Prompting.PromptMethod.ZeroShot;
}
