using Maple.Clip;

namespace Maple.Prompting;

/// <summary>What <see cref="AuthorCheckpointImporter"/> adds to imported prompts beyond the checkpoint's tensors.</summary>
public sealed record AuthorImportOptions
{
    /// <summary>
    /// The words the prompts were initialised with (the authors' <c>CTX_INIT</c>), which stay in every text
    /// prompt; null for the method's default in the authors' configs ("a photo of a", or none for CoOp).
    /// </summary>
    public string? CtxInit { get; init; }

    /// <summary>The class names the prompts were trained on, recorded in the metadata when given.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// The backbone the prompts are meant for: when given, the prompt widths and depths are checked against
    /// it and its id and config hash are recorded, so the prompts later refuse any other backbone.
    /// </summary>
    public ClipConfig? Backbone { get; init; }

    /// <summary>How the backbone is named (a model id or path), recorded with its config hash.</summary>
    public string? BackboneId { get; init; }
}
