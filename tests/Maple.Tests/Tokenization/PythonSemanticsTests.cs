using Maple.Tokenization;

namespace Maple.Tests.Tokenization;

/// <summary>
/// Corners where .NET's own text functions differ from the Python the reference runs on. The
/// expected values were computed with the reference algorithm (Python 3.11, regex module).
/// </summary>
public sealed class PythonSemanticsTests
{
    static ClipTokenizer Tokenizer => ClipTokenizer.FromDirectory(Fixtures.Tokenizer);

    [Theory]
    // html.unescape, applied twice: legacy names without semicolon, longest prefix, numeric rules.
    [InlineData("&amp", "&")]
    [InlineData("&amp;amp;", "&")]
    [InlineData("&ampamp;", "&")]
    [InlineData("&notit;", "\u00ACit;")]
    [InlineData("&notin;", "\u2209")]
    [InlineData("&#39;&#x27;&#X27", "'''")]
    [InlineData("&#128;&#x9f;", "\u20AC\u00FF")]
    [InlineData("&#0;|&#13;|&#1;|&#xD800;|&#x110000;|&#xFFFE;|&#99999999999999999999;", "\uFFFD| ||\uFFFD|\uFFFD||\uFFFD")]
    [InlineData("&#x1F600;", "\U0001F600")]
    [InlineData("&lt", "<")]
    [InlineData("& amp;", "& amp;")]
    [InlineData("&#;&#x;", "&#;&#x;")]
    [InlineData("&NotEqualTilde;", "\u2242\u0338")]
    [InlineData("&nbsp;a&nbsp;&nbsp;b&nbsp", "a b")]
    [InlineData("&AMP;&Amp;", "&&amp;")]
    // str.lower: full case mapping and the final sigma.
    [InlineData("\u0130STANBUL", "i\u0307stanbul")]
    [InlineData("ΟΔΟΣ ΣΑΣ", "οδος σας")]
    [InlineData("ΑΣ.Β", "ασ.β")]
    [InlineData("ΑΣ'", "ας'")]
    [InlineData("Σ", "σ")]
    [InlineData("ʰΣ", "ʰσ")]
    [InlineData("AΣ\u0301", "aς\u0301")]
    [InlineData("\u01C5", "\u01C6")]
    // str.strip removes U+001C, the regex module's \s does not collapse it.
    [InlineData("\u001C a \u001C b \u001C", "a \u001C b")]
    [InlineData("a\u2028\u3000\u0085b", "a b")]
    [InlineData("\u200Bzero", "\u200Bzero")]
    public void NormalizerCleansAsPython(string text, string expected)
    {
        Assert.Equal(expected, new ClipNormalizer(normalizeToNfc: false).Normalize(text));
        Assert.Equal(expected, new ClipNormalizer().Normalize(text));
    }

    [Fact]
    public void NormalizerComposesToNfcOnlyWhenAsked()
    {
        Assert.Equal("\u00E9", new ClipNormalizer().Normalize("E\u0301"));
        Assert.Equal("e\u0301", new ClipNormalizer(normalizeToNfc: false).Normalize("E\u0301"));
    }

    [Fact]
    public void UnpairedSurrogateIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Tokenizer.Encode("ab\uD800c"));
        Assert.Contains("unpaired surrogate at index 2", error.Message);
    }

    [Theory]
    // Letters and digits outside the Basic Multilingual Plane are classified as whole code points.
    [InlineData("a\U0001D518b", new[] { 64, 6874, 242, 246, 321 })]
    [InlineData("\U0001D7CF\U0001D7D0", new[] { 6874, 253, 493, 6874, 253, 494 })]
    // The case-insensitive pattern: long s matches the s of "'s" and of the special tokens.
    [InlineData("it'\u017F", new[] { 585, 6, 129, 379 })]
    [InlineData("<|\u017Ftartoftext|>", new[] { 27, 91, 129, 123, 2002, 6659, 18169, 91, 285 })]
    // U+0345 matches no alternative of the pattern and is dropped.
    [InlineData("x\u0345y", new[] { 343, 344 })]
    // Special tokens only count where the pattern sees them as a word of their own.
    [InlineData("!<|endoftext|>", new[] { 0, 27, 347, 40786, 4160, 91, 285 })]
    [InlineData("a<|endoftext|>b", new[] { 320, 49407, 321 })]
    [InlineData("!'s", new[] { 13222, 338 })]
    [InlineData("don't'S", new[] { 847, 713, 568 })]
    [InlineData("\u001C a \u001C b", new[] { 320, 472, 321 })]
    [InlineData("ΟΔΟΣ", new[] { 138, 123, 138, 112, 138, 123, 139, 480 })]
    [InlineData("ΟΔΟσ", new[] { 138, 123, 138, 112, 138, 123, 139, 481 })]
    public void EncodesAsTheReference(string text, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text));
    }
}
