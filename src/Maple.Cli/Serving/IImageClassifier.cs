using Maple.Imaging;

namespace Maple.Cli.Serving;

/// <summary>What <c>maple serve</c> needs of a classifier: its classes, its input and a batched forward pass.</summary>
interface IImageClassifier : IDisposable
{
    /// <summary>The classes, in logit order.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>How an image becomes the classifier's input.</summary>
    EvalTransform Transform { get; }

    /// <summary>What the classifier is, for <c>/health</c> and the log (method, model or file).</summary>
    string Description { get; }

    /// <summary>
    /// Logits [count, classes] (row-major) of <paramref name="count"/> images given as normalised CHW floats one after
    /// another. Called from one thread at a time.
    /// </summary>
    float[] Logits(float[] pixels, int count);
}
