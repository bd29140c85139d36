using Maple.Imaging;

namespace Maple.Demo;

/// <summary>
/// Captions of pretraining scenes: the class name in one of several templates. They say nothing else
/// about the scene (size, place, background): any such detail would let the contrastive loss match
/// pairs without looking at the shape, the hardest cue to learn. The longest templates reach 21 tokens,
/// so that every position a 16-token learned context uses has been trained.
/// </summary>
public static class DemoCaptions
{
    static readonly string[] Templates =
    [
        "a photo of a {c}.",
        "a {c}.",
        "a picture of a {c}.",
        "a drawing of a {c}.",
        "an image of a {c}.",
        "a photo of the {c}.",
        "there is a {c} in this picture.",
        "this is a simple drawing of a {c}, the only shape in the picture.",
        "a photo of a {c}, a shape drawn in one colour on a plain background, with nothing else in it.",
    ];

    /// <summary>Every word a caption can use besides the class names.</summary>
    public static IEnumerable<string> Words =>
        Templates.SelectMany(Split).Where(w => !w.StartsWith('{'));

    /// <summary>A caption of <paramref name="scene"/> in a template drawn from <paramref name="rng"/>.</summary>
    public static string Describe(DemoScene scene, Xoshiro256StarStar rng) => Fill(Templates[rng.NextInt(Templates.Length)], scene);

    /// <summary>The caption of <paramref name="scene"/> in template <paramref name="template"/> (0 = "a photo of a {class}.").</summary>
    public static string Describe(DemoScene scene, int template) => Fill(Templates[template], scene);

    /// <summary>Number of templates.</summary>
    public static int TemplateCount => Templates.Length;

    static string Fill(string template, DemoScene scene) => template.Replace("{c}", scene.Class.Name, StringComparison.Ordinal);

    // Words as the CLIP pre-tokenizer sees them: letters only (punctuation is a byte token of its own).
    static IEnumerable<string> Split(string text) =>
        text.Split([' ', '.', ','], StringSplitOptions.RemoveEmptyEntries);
}
