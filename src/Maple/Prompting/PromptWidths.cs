namespace Maple.Prompting;

/// <summary>A backbone width that learned prompts imply, and the tensor that shows it.</summary>
/// <param name="Value">The width.</param>
/// <param name="Tensor">The tensor's name.</param>
/// <param name="Shape">The tensor's shape.</param>
public sealed record PromptWidth(int Value, string Tensor, long[] Shape)
{
    /// <summary>For messages: <c>128 (prompt_learner.ctx [2, 128])</c>.</summary>
    public override string ToString() => $"{Value} ({Tensor} [{string.Join(", ", Shape)}])";
}

/// <summary>The backbone widths that learned prompts imply; null where the method has no tensor that shows one.</summary>
/// <param name="Text">The text width: columns of the text context.</param>
/// <param name="Vision">The vision width: rows of MaPLe's coupling projection, or columns of the vision tokens.</param>
/// <param name="Embed">The joint embedding width: inputs of CoCoOp's meta-network.</param>
public sealed record PromptWidths(PromptWidth? Text, PromptWidth? Vision, PromptWidth? Embed);
