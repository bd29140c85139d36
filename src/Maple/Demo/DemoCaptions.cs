using Maple.Imaging;

namespace Maple.Demo;

/// <summary>
/// Captions of pretraining scenes: the class name in one of several templates, and the light when a scene
/// is lit by one of <see cref="DemoWorld.PretrainingLights"/> ("a photo in pink light of a red star.").
/// Naming the light teaches the text encoder that the words around a class name change how its colours
/// look, as web captions teach CLIP's: a learned context can then move the class features, where
/// templates true of every scene would leave the encoder deaf to them. They say nothing else about the
/// scene (size, place, background): such details would let the contrastive loss match pairs without
/// looking at the shape, the hardest cue to learn. The longest templates reach 21 tokens, so that every
/// position a 16-token learned context uses has been trained.
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

    static readonly string[] LitTemplates =
    [
        "a photo in {l} light of a {c}.",
        "a {l} light photo of a {c}.",
        "a {c} in {l} light.",
        "a photo of a {c} in {l} light.",
    ];

    /// <summary>Every word a caption can use besides the class names.</summary>
    public static IEnumerable<string> Words =>
        Templates.Concat(LitTemplates).SelectMany(Split).Where(w => !w.StartsWith('{')).Concat(DemoWorld.PretrainingLights.Select(l => l.Name));

    /// <summary>A caption of <paramref name="scene"/> in a template drawn from <paramref name="rng"/>.</summary>
    public static string Describe(DemoScene scene, Xoshiro256StarStar rng) => scene.Light is { } light
        ? Fill(LitTemplates[rng.NextInt(LitTemplates.Length)], scene).Replace("{l}", light.Name, StringComparison.Ordinal)
        : Fill(Templates[rng.NextInt(Templates.Length)], scene);

    /// <summary>The caption of <paramref name="scene"/> in template <paramref name="template"/> (0 = "a photo of a {class}.").</summary>
    public static string Describe(DemoScene scene, int template) => Fill(Templates[template], scene);

    /// <summary>Number of templates.</summary>
    public static int TemplateCount => Templates.Length;

    static string Fill(string template, DemoScene scene) => template.Replace("{c}", scene.Class.Name, StringComparison.Ordinal);

    // Words as the CLIP pre-tokenizer sees them: letters only (punctuation is a byte token of its own).
    static IEnumerable<string> Split(string text) =>
        text.Split([' ', '.', ','], StringSplitOptions.RemoveEmptyEntries);
}
