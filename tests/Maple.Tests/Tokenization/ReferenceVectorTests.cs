using System.Text;
using System.Text.Json;
using Maple.Tokenization;

namespace Maple.Tests.Tokenization;

/// <summary>The ids of the reference CLIP tokenizer for 1,469 strings (shared fixture).</summary>
public sealed class ReferenceVectorTests
{
    sealed record Case(string Text, int[] Ids);

    static readonly Lazy<IReadOnlyList<Case>> Cases = new(LoadCases);

    static IReadOnlyList<Case> LoadCases()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Tokenizer, "test_vectors.json")));
        return json.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => new Case(c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToList();
    }

    static string Describe(IReadOnlyList<(Case Case, IReadOnlyList<int> Got)> failures, int total)
    {
        var message = new StringBuilder($"{failures.Count} of {total} cases differ from the reference ({total - failures.Count} match):");
        foreach (var (c, got) in failures.Take(8))
            message.Append($"\n  {JsonSerializer.Serialize(c.Text)}: expected [{string.Join(", ", c.Ids)}], got [{string.Join(", ", got)}]");
        return message.ToString();
    }

    [Fact]
    public void EveryCaseMatchesTheReferenceRunWithoutFtfy()
    {
        // The vectors were made with ftfy as the identity, so without the NFC step.
        var tokenizer = ClipTokenizer.FromDirectory(Fixtures.Tokenizer, normalizeToNfc: false);
        var cases = Cases.Value;
        var failures = cases.Select(c => (Case: c, Got: tokenizer.Encode(c.Text)))
            .Where(r => !r.Got.SequenceEqual(r.Case.Ids))
            .ToList();

        Assert.Equal(1469, cases.Count);
        Assert.True(failures.Count == 0, Describe(failures, cases.Count));
    }

    [Fact]
    public void WithNfcEveryCaseMatchesTheReferenceIdsOfItsComposedForm()
    {
        var tokenizer = ClipTokenizer.FromDirectory(Fixtures.Tokenizer);
        var withoutNfc = ClipTokenizer.FromDirectory(Fixtures.Tokenizer, normalizeToNfc: false);
        Assert.True(tokenizer.NormalizeToNfc);

        var cases = Cases.Value;
        var decomposed = cases.Where(c => !c.Text.IsNormalized(NormalizationForm.FormC)).ToList();
        var failures = cases
            .Select(c =>
            {
                var composed = c.Text.Normalize(NormalizationForm.FormC);
                var expected = composed == c.Text ? c.Ids : withoutNfc.Encode(composed).ToArray();
                return (Case: c with { Ids = expected }, Got: tokenizer.Encode(c.Text));
            })
            .Where(r => !r.Got.SequenceEqual(r.Case.Ids))
            .ToList();

        Assert.True(failures.Count == 0, Describe(failures, cases.Count));
        // "combining é" is written with U+0301; NFC makes it the precomposed é of "café".
        var combining = Assert.Single(decomposed);
        Assert.Equal(withoutNfc.Encode("combining \u00E9"), tokenizer.Encode(combining.Text));
        Assert.NotEqual(combining.Ids, tokenizer.Encode(combining.Text));
    }
}
