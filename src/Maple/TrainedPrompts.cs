using Maple.Prompting;

namespace Maple;

/// <summary>The outcome of <see cref="ClipBackbone.TrainPromptsAsync"/>: where the learned prompts are, and on what they were learned.</summary>
public sealed class TrainedPrompts
{
    readonly ClipBackbone _backbone;

    internal TrainedPrompts(ClipBackbone backbone, string promptsPath, IReadOnlyList<string> classNames, PromptMethod method, int skippedImages)
    {
        _backbone = backbone;
        PromptsPath = promptsPath;
        ClassNames = classNames;
        Method = method;
        SkippedImages = skippedImages;
    }

    /// <summary>The final prompts (<c>prompt.safetensors</c> in the output folder): load them later with <see cref="ClipBackbone.LoadClassifier"/>.</summary>
    public string PromptsPath { get; }

    /// <summary>The classes the prompts were trained on.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The method.</summary>
    public PromptMethod Method { get; }

    /// <summary>Images left out because they could not be decoded (each is named in <c>train.log</c>).</summary>
    public int SkippedImages { get; }

    /// <summary>A classifier with these prompts over the training classes, or over <paramref name="classNames"/> when given.</summary>
    public ImageClassifier ToClassifier(IReadOnlyList<string>? classNames = null) => _backbone.LoadClassifier(PromptsPath, classNames);
}
