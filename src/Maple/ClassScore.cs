namespace Maple;

/// <summary>One of an image's best classes.</summary>
/// <param name="Index">The class's index in the class list.</param>
/// <param name="ClassName">The class's name, as given.</param>
/// <param name="Probability">Its softmax probability.</param>
public sealed record ClassScore(int Index, string ClassName, float Probability);
