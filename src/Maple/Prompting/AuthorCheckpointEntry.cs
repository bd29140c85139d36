using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>One tensor of an authors' checkpoint's state dict, and what the import did with it.</summary>
/// <param name="Name">The name, without a DataParallel <c>module.</c> prefix and with <c>prompt_learner.</c> added where the trainer saved the prompt learner alone.</param>
/// <param name="Dtype">The dtype stored in the checkpoint (imported tensors are converted to fp32).</param>
/// <param name="Shape">The shape.</param>
/// <param name="Dropped">Why it was left out (a class-dependent buffer, the frozen backbone), or null when imported.</param>
public sealed record AuthorCheckpointEntry(string Name, ScalarType Dtype, long[] Shape, string? Dropped)
{
    /// <summary>Whether the tensor is one of the learned prompts.</summary>
    public bool Imported => Dropped is null;
}
